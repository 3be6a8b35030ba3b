#!/usr/bin/env bash
# bench-config.sh — speed benchmark of `rampart scan config` against peer
# scanners on the same generated Kubernetes corpus.
#
#   scripts/bench-config.sh            # or: make bench [DOCS=10000]
#
# Steps: generate a deterministic corpus of $DOCS documents
# (internal/bench/k8scorpus), build pinned peers once into a cache directory
# from the Go module proxy, build rampart, run every tool $RUNS times under
# /usr/bin/time -v with its report sent to /dev/null, and print a markdown
# table (median of the runs).
#
# Environment:
#   DOCS=10000            documents in the corpus
#   SEED=1                corpus seed
#   RUNS=3                timed runs per tool (the median is reported)
#   BENCH_TRIVY_RUNS      timed runs for Trivy (default $RUNS; one Trivy run on
#                         10,000 docs takes ~8-11 min and ~5 GB on 2 CPUs)
#   BENCH_TOOLS="rampart rampart-topdown trivy kube-linter kube-score"   tools to run
#                         (rampart-topdown: the same binary with
#                         --policy-evaluator topdown, OPA's own evaluator)
#   RAMPART_BENCH_CACHE   cache for peer binaries (default ~/.cache/rampart-bench)
#   KEEP_TMP=1            keep the temporary directory (corpus, logs)
#
# Peers run fully offline: Trivy with its embedded checks
# (--skip-check-update --skip-version-check --disable-telemetry, a fresh empty
# --cache-dir per run), kube-linter and kube-score need no network at all.
set -euo pipefail

export GOTOOLCHAIN=${GOTOOLCHAIN:-auto} # an older local Go fetches the version go.mod asks for

DOCS=${DOCS:-10000}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
BENCH_TRIVY_RUNS=${BENCH_TRIVY_RUNS:-$RUNS}
BENCH_TOOLS=${BENCH_TOOLS:-rampart rampart-topdown trivy kube-linter kube-score}
CACHE=${RAMPART_BENCH_CACHE:-$HOME/.cache/rampart-bench}
BIN=$CACHE/bin

# Pinned peers: newest releases available from the Go module proxy when this
# script was written (Trivy v0.75.0 exists but its source archive is not
# served, so v0.74.0).
TRIVY_VERSION=v0.74.0
KUBE_LINTER_VERSION=v0.8.3
KUBE_SCORE_VERSION=v1.20.0

log() { printf '%s\n' "bench: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
[[ -f go.mod ]] || die "cannot find the repository root (no go.mod in $repo_root)"
[[ $DOCS =~ ^[1-9][0-9]*$ ]] || die "DOCS must be a positive integer, got '$DOCS'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ $BENCH_TRIVY_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_TRIVY_RUNS must be a positive integer, got '$BENCH_TRIVY_RUNS'"

want_tool() { [[ " $BENCH_TOOLS " == *" $1 "* ]]; }

# --- prerequisites ---------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
	log "/usr/bin/time is missing; installing Debian package 'time'"
	if [[ $(id -u) -eq 0 ]]; then
		apt-get update -qq && apt-get install -y -qq time >/dev/null
	elif command -v sudo >/dev/null; then
		sudo apt-get update -qq && sudo apt-get install -y -qq time >/dev/null
	fi
	[[ -x /usr/bin/time ]] || die "GNU time is required: apt-get install time"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench.XXXXXX")
cleanup() {
	if [[ ${KEEP_TMP:-0} == 1 ]]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

mkdir -p "$BIN" "$CACHE/logs"

# --- (a) corpus --------------------------------------------------------------

corpus=$tmp/corpus
log "generating $DOCS documents (seed $SEED) into $corpus"
go run ./internal/bench/k8scorpus/gen -out "$corpus" -docs "$DOCS" -seed "$SEED" >"$tmp/corpus-stats.txt"
nfiles=$(find "$corpus" -name '*.yaml' | wc -l)
corpus_mb=$(du -sm "$corpus" | cut -f1)
log "corpus: $nfiles files, ${corpus_mb} MB"

# --- (b) pinned peers ---------------------------------------------------------

# go_tool NAME MODULE PACKAGE VERSION [LDFLAGS [ENV...]] builds PACKAGE@VERSION
# into $BIN/NAME once (a NAME.version stamp records what is there). It tries
# `go install`, then, for proxies that refuse the version-list lookup
# `go install` makes for deprecation notices, a throwaway module that
# requires the pinned version (same build list: the tool's own go.mod).
go_tool() {
	local name=$1 module=$2 pkg=$3 version=$4 ldflags=${5:-} build_env=("${@:6}")
	local stamp=$BIN/$name.version buildlog=$CACHE/logs/$name-build.log
	if [[ -x $BIN/$name && -f $stamp && $(<"$stamp") == "$version" ]]; then
		return 0
	fi
	log "building $name $version into $BIN (once; log: $buildlog)"
	local start=$SECONDS
	rm -f "$BIN/$name" "$stamp"
	if ! env "${build_env[@]}" GOBIN="$BIN" \
		go install -trimpath -ldflags="$ldflags" "$pkg@$version" >"$buildlog" 2>&1; then
		local mod=$tmp/build-$name
		mkdir -p "$mod"
		if ! (
			cd "$mod" &&
				go mod init rampart-bench-peer &&
				go get "$module@$version" &&
				env "${build_env[@]}" GOFLAGS="-mod=mod ${GOFLAGS:-}" \
					go build -trimpath -ldflags="$ldflags" -o "$BIN/$name" "$pkg"
		) >>"$buildlog" 2>&1; then
			log "cannot build $name $version from the Go module proxy; skipping it ($(grep -m1 -E 'error|Forbidden|not found' "$buildlog" || tail -n1 "$buildlog"))"
			return 1
		fi
	fi
	echo "$version" >"$stamp"
	log "built $name $version in $((SECONDS - start))s"
}

declare -A available=()

if want_tool trivy &&
	go_tool trivy github.com/aquasecurity/trivy github.com/aquasecurity/trivy/cmd/trivy "$TRIVY_VERSION" \
		"-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" \
		CGO_ENABLED=0 GOEXPERIMENT=jsonv2; then
	available[trivy]=1
fi
if want_tool kube-linter &&
	go_tool kube-linter golang.stackrox.io/kube-linter golang.stackrox.io/kube-linter/cmd/kube-linter \
		"$KUBE_LINTER_VERSION" "-s -w -X golang.stackrox.io/kube-linter/internal/version.version=${KUBE_LINTER_VERSION#v}" \
		CGO_ENABLED=0; then
	available[kube-linter]=1
fi
if want_tool kube-score &&
	go_tool kube-score github.com/zegl/kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" \
		"-s -w -X main.version=${KUBE_SCORE_VERSION#v}" CGO_ENABLED=0; then
	available[kube-score]=1
fi

# --- (c) rampart --------------------------------------------------------------

if want_tool rampart || want_tool rampart-topdown; then
	if go build -o "$tmp/rampart" ./cmd/rampart >"$tmp/rampart-build.log" 2>&1; then
		available[rampart]=1
		available[rampart-topdown]=1
	else
		log "skipping rampart: 'go build ./cmd/rampart' failed: $(head -n1 "$tmp/rampart-build.log")"
	fi
fi

# --- tool commands -------------------------------------------------------------

# Every command writes its report to /dev/null; $run is the run number (for
# per-run scratch directories).
tool_cmd() {
	local tool=$1 run=$2
	case $tool in
	rampart)
		cmd=("$tmp/rampart" scan config --format json --output /dev/null "$corpus")
		;;
	rampart-topdown)
		cmd=("$tmp/rampart" scan config --policy-evaluator topdown --format json --output /dev/null "$corpus")
		;;
	trivy)
		# Trivy's default --timeout (5m) aborts a large corpus on a small
		# machine, exiting 1.
		cmd=("$BIN/trivy" config --quiet --timeout 2h
			--skip-check-update --skip-version-check --disable-telemetry
			--cache-dir "$tmp/trivy-cache-$run"
			--format json --output /dev/null "$corpus")
		;;
	kube-linter)
		cmd=("$BIN/kube-linter" lint --format json "$corpus")
		;;
	kube-score)
		# kube-score takes files, not directories.
		mapfile -t files < <(find "$corpus" -name '*.yaml' | sort)
		cmd=("$BIN/kube-score" score --output-format json "${files[@]}")
		;;
	*) die "unknown tool $tool" ;;
	esac
}

tool_version() {
	case $1 in
	rampart | rampart-topdown)
		{ "$tmp/rampart" version 2>/dev/null || "$tmp/rampart" --version 2>/dev/null || true; } |
			head -n1 | sed -E 's/^rampart[[:space:]]+//; s/^version:?[[:space:]]*//'
		;;
	trivy) "$BIN/trivy" --version 2>/dev/null | awk '/^Version:/ {print $2; exit}' ;;
	kube-linter) "$BIN/kube-linter" version 2>/dev/null | head -n1 ;;
	kube-score) "$BIN/kube-score" version 2>/dev/null | sed -n 's/^kube-score version: \([^,]*\).*/\1/p' ;;
	esac
}

# ok_status TOOL STATUS: kube-linter and kube-score exit 1 when they report
# findings (rampart may too); Trivy exits 0 unless it failed (no --exit-code).
ok_status() {
	case $1 in
	trivy) [[ $2 -eq 0 ]] ;;
	*) [[ $2 -eq 0 || $2 -eq 1 ]] ;;
	esac
}

# Trivy must evaluate its embedded checks offline: scan one privileged pod and
# expect a failure for it.
check_trivy_offline() {
	local dir=$tmp/trivy-selfcheck out=$tmp/trivy-selfcheck.json
	mkdir -p "$dir"
	cat >"$dir/pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: privileged
spec:
  containers:
    - name: app
      image: busybox:1.36
      securityContext:
        privileged: true
EOF
	if ! "$BIN/trivy" config --quiet --skip-check-update --skip-version-check --disable-telemetry \
		--cache-dir "$tmp/trivy-cache-selfcheck" --format json --output "$out" "$dir" \
		>"$tmp/trivy-selfcheck.log" 2>&1; then
		log "trivy self-check failed: $(tail -n3 "$tmp/trivy-selfcheck.log")"
		return 1
	fi
	local failures
	failures=$(grep -c '"Status": "FAIL"' "$out" || true)
	if ! grep -qi 'privileged' "$out" || [[ $failures -eq 0 ]]; then
		log "trivy self-check: no privileged-container finding; are its embedded checks loaded?"
		return 1
	fi
	log "trivy self-check: $failures failed checks on a privileged pod (offline, embedded checks)"
}

if [[ -n ${available[trivy]:-} ]] && ! check_trivy_offline; then
	unset 'available[trivy]'
fi

# --- (d) timed runs -----------------------------------------------------------

# elapsed_seconds "h:mm:ss" | "m:ss.cc" -> seconds
to_seconds() {
	awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.3f", s }' <<<"$1"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average $load_start on $(nproc) CPUs; wall times will be noisy (CPU seconds less so)"
fi

declare -A wall=() cpu=() rss=() version=()
order=()
for tool in rampart rampart-topdown trivy kube-linter kube-score; do
	want_tool "$tool" || continue
	[[ -n ${available[$tool]:-} ]] || continue
	version[$tool]=$(tool_version "$tool")
	walls=() cpus=() rsss=()
	failed=0
	runs=$RUNS
	[[ $tool == trivy ]] && runs=$BENCH_TRIVY_RUNS
	for run in $(seq 1 "$runs"); do
		tool_cmd "$tool" "$run"
		timing=$tmp/$tool-$run.time
		status=0
		/usr/bin/time -v -o "$timing" "${cmd[@]}" >/dev/null 2>"$tmp/$tool-$run.stderr" || status=$?
		if ! ok_status "$tool" "$status" || grep -q 'Command terminated by signal' "$timing"; then
			log "$tool run $run failed (exit $status): $(tail -n3 "$tmp/$tool-$run.stderr")"
			failed=1
			break
		fi
		w=$(to_seconds "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$timing")")
		u=$(sed -n 's/.*User time (seconds): //p' "$timing")
		s=$(sed -n 's/.*System time (seconds): //p' "$timing")
		r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timing")
		walls+=("$w")
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')")
		rsss+=("$r")
		log "$tool run $run/$runs: wall ${w}s, cpu ${cpus[-1]}s, rss $((r / 1024)) MB (exit $status)"
		rm -rf "$tmp/trivy-cache-$run"
	done
	((failed)) && continue
	wall[$tool]=$(printf '%s\n' "${walls[@]}" | median)
	cpu[$tool]=$(printf '%s\n' "${cpus[@]}" | median)
	rss[$tool]=$(printf '%s\n' "${rsss[@]}" | median)
	order+=("$tool")
done

# --- (e) report ---------------------------------------------------------------

((${#order[@]})) || die "no tool could be run"

echo
echo "### \`scan config\` benchmark: $DOCS Kubernetes documents in $nfiles files (${corpus_mb} MB), seed $SEED"
echo
echo "$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, load average $load_start at start and $(cut -d' ' -f1-3 /proc/loadavg) at end; median of $RUNS runs per tool$([[ $BENCH_TRIVY_RUNS != "$RUNS" ]] && echo " ($BENCH_TRIVY_RUNS for trivy)"); reports written to /dev/null."
echo
echo "| tool | version | wall s | CPU s | peak RSS MB | docs/s | docs/CPU-s | wall vs rampart |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for tool in "${order[@]}"; do
	awk -v tool="$tool" -v ver="${version[$tool]:-?}" -v docs="$DOCS" \
		-v w="${wall[$tool]}" -v c="${cpu[$tool]}" -v r="${rss[$tool]}" -v base="${wall[rampart]:-}" 'BEGIN {
		ratio = (base == "" || base == 0) ? "n/a" : sprintf("%.2fx", w / base)
		dps = (w > 0) ? sprintf("%.0f", docs / w) : "inf"
		dpc = (c > 0) ? sprintf("%.0f", docs / c) : "inf"
		printf "| %s | %s | %.2f | %.2f | %.0f | %s | %s | %s |\n", tool, ver, w, c, r / 1024, dps, dpc, ratio
	}'
done
echo
echo "CPU s = user + sys; docs/CPU-s = documents per CPU-second; wall vs rampart = tool wall / rampart wall (above 1 = slower than rampart)."
for tool in $BENCH_TOOLS; do
	[[ -n ${wall[$tool]:-} ]] || echo "Not measured: $tool (see the messages above)."
done
