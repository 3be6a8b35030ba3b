# Rampart's developer commands. Every target works on a fresh machine with
# only Go installed; GOTOOLCHAIN=auto lets an older local Go fetch the
# version go.mod asks for.
export GOTOOLCHAIN := auto
# gore2regex: gitleaks' detector runs the secret rules' regexes on RE2
# (github.com/wasilibs/go-re2, compiled to Go, no cgo), as gitleaks' own
# releases do; about ten times Go's regexp on source text
# (docs/benchmarks.md). Without the tag everything works, more slowly.
TAGS        ?= gore2regex
export GOFLAGS += -tags=$(TAGS)

GO          ?= go
BIN         ?= bin/rampart
GATEWAY_BIN ?= bin/rampart-gateway
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X github.com/rampart-sec/rampart/internal/cli.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
DOCS        ?= 10000
# Trivy takes about ten minutes per run on the 10,000-document corpus.
BENCH_TRIVY_RUNS ?= 1

.PHONY: all build build-gateway test test-short bench bench-peers bench-gateway bench-deps lint fuzz demo clean

all: lint test build

## build: compile bin/rampart
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/rampart

## build-gateway: compile bin/rampart-gateway, the gateway-only build (no scanners; for the edge)
build-gateway:
	$(GO) build -trimpath -tags '$(TAGS),gatewayonly' -ldflags '$(LDFLAGS)' -o $(GATEWAY_BIN) ./cmd/rampart

## test: every test with the race detector, then the WAF differential tests in full (under -race they sample)
test:
	$(GO) test -race -count=1 -timeout 40m ./...
	$(GO) test -count=1 -run 'TestRxOperatorMatchesGoRegexpCRS|TestRxFilterSoundCRS' ./internal/gateway/waf/
	$(GO) test -count=1 -tags '$(TAGS),gatewayonly' ./internal/cli/
	# The gateway suite again on the other HTTP/1.1 engines (the default is evloop on Linux).
	RAMPART_TEST_HTTP1_ENGINE=fasthttp $(GO) test -race -count=1 -timeout 20m ./internal/gateway/
	RAMPART_TEST_HTTP1_ENGINE=net/http $(GO) test -race -count=1 -timeout 20m ./internal/gateway/

## test-short: quick run without the race detector
test-short:
	$(GO) test -count=1 ./...

## bench: Go benchmarks, then the 10,000-document scan against Trivy, kube-linter and kube-score
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./internal/scan/config/ ./internal/policy/
	DOCS=$(DOCS) BENCH_TRIVY_RUNS=$(BENCH_TRIVY_RUNS) bash scripts/bench-config.sh

## bench-gateway: the gateway against nginx and nginx + ModSecurity with wrk on 127.0.0.1 (BENCH_DURATION=20 s per cell, in BENCH_ROUNDS=10 alternating bursts)
bench-gateway:
	bash scripts/bench-gateway.sh

## bench-deps: vulnerability matching against osv-scanner on the same go.mod and database
bench-deps:
	bash scripts/bench-deps.sh

## lint: go vet and staticcheck (installed through the Go toolchain)
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) vet -tags '$(TAGS),gatewayonly' ./internal/cli/ ./cmd/...
	$(GO) run $(STATICCHECK) ./...

## fuzz: run each fuzz target for FUZZTIME (the list is found from the sources)
fuzz:
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do \
		pkg=./$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## demo: scan the deliberately insecure examples
demo: build
	./$(BIN) scan config examples/ || true
	./$(BIN) scan config --fail-on high examples/clean && echo "examples/clean: clean"

clean:
	rm -rf bin
