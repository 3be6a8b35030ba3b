package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestDockerfileGolden parses every testdata/dockerfile/*.Dockerfile and
// compares both policy inputs, Rampart's and Conftest's, with the golden
// file beside it. Run with -update to rewrite the golden files.
func TestDockerfileGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "dockerfile", "*.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Dockerfiles in testdata/dockerfile")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			df, err := parseDockerfile(src)
			if err != nil {
				t.Fatalf("parseDockerfile: %v", err)
			}
			got, err := json.MarshalIndent(map[string]any{"rampart": df.input(), "conftest": df.conftestInput()}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(file, ".Dockerfile") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(got), string(want)); diff != "" {
				t.Errorf("policy inputs differ from %s (-got +want; go test -update rewrites it):\n%s", golden, diff)
			}
		})
	}
}

func TestParseDockerfileStages(t *testing.T) {
	type stage struct {
		Index               int
		Name, Base          string
		Platform            string
		StartLine, Commands int
	}
	tests := []struct {
		name     string
		src      string
		want     []stage
		wantArgs []string
	}{
		{
			name: "single stage",
			src:  "FROM alpine:3.20\nRUN true\n",
			want: []stage{{Index: 0, Base: "alpine:3.20", StartLine: 1, Commands: 2}},
		},
		{
			name: "named stages, case-insensitive AS",
			src:  "FROM golang:1.23 AS build\nRUN go build\nfrom scratch as Final\nCOPY --from=build /a /a\nFROM build\n",
			want: []stage{
				{Index: 0, Name: "build", Base: "golang:1.23", StartLine: 1, Commands: 2},
				{Index: 1, Name: "Final", Base: "scratch", StartLine: 3, Commands: 2},
				{Index: 2, Base: "build", StartLine: 5, Commands: 1},
			},
		},
		{
			name: "platform flag",
			src:  "FROM --platform=linux/arm64 debian:12 AS d\n",
			want: []stage{{Index: 0, Name: "d", Base: "debian:12", Platform: "linux/arm64", StartLine: 1, Commands: 1}},
		},
		{
			name:     "global ARGs before FROM",
			src:      "# comment\nARG REGISTRY=docker.io\nARG TAG\nFROM ${REGISTRY}/library/alpine:${TAG}\nARG INSIDE=1\n",
			want:     []stage{{Index: 0, Base: "${REGISTRY}/library/alpine:${TAG}", StartLine: 4, Commands: 2}},
			wantArgs: []string{"REGISTRY=docker.io", "TAG"},
		},
		{
			name: "FROM without an image",
			src:  "FROM\n",
			want: []stage{{Index: 0, StartLine: 1, Commands: 1}},
		},
		{
			name: "FROM with a dangling AS is not named",
			src:  "FROM a AS\n",
			want: []stage{{Index: 0, Base: "a", StartLine: 1, Commands: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df, err := parseDockerfile([]byte(tt.src))
			if err != nil {
				t.Fatalf("parseDockerfile: %v", err)
			}
			got := []stage{}
			for _, st := range df.Stages {
				got = append(got, stage{Index: st.Index, Name: st.Name, Base: st.Base, Platform: st.Platform, StartLine: st.StartLine, Commands: len(st.Commands)})
				for _, c := range st.Commands {
					if c.Stage != st.Index {
						t.Errorf("%s at line %d has stage %d, want %d", c.Original, c.StartLine, c.Stage, st.Index)
					}
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("stages (-got +want):\n%s", diff)
			}
			gotArgs := []string{}
			for _, a := range df.Args {
				if a.Cmd != "arg" || a.Stage != -1 {
					t.Errorf("global %s has stage %d, want an arg with stage -1", a.Cmd, a.Stage)
				}
				gotArgs = append(gotArgs, a.Value...)
			}
			if tt.wantArgs == nil {
				tt.wantArgs = []string{}
			}
			if diff := cmp.Diff(gotArgs, tt.wantArgs); diff != "" {
				t.Errorf("global args (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDockerfileCommands(t *testing.T) {
	type cmd struct {
		Cmd                string
		Value, Flags       []string
		JSON               bool
		StartLine, EndLine int
		Heredocs           []string
	}
	tests := []struct {
		name string
		src  string // after a first line "FROM x"
		want cmd
	}{
		{
			name: "ENV pairs are flattened and unquoted",
			src:  `ENV A=1 B="two words" C='single' D= E=""`,
			want: cmd{Cmd: "env", Value: []string{"A", "1", "B", "two words", "C", "single", "D", "", "E", ""}},
		},
		{
			name: "legacy ENV form",
			src:  "ENV NAME some value",
			want: cmd{Cmd: "env", Value: []string{"NAME", "some value"}},
		},
		{
			name: "LABEL pairs",
			src:  `LABEL org.opencontainers.image.source="https://x/y" "quoted key"=v`,
			want: cmd{Cmd: "label", Value: []string{"org.opencontainers.image.source", "https://x/y", `"quoted key"`, "v"}},
		},
		{
			name: "unbalanced quotes are left alone",
			src:  `ENV A="x"y B='`,
			want: cmd{Cmd: "env", Value: []string{"A", `"x"y`, "B", "'"}},
		},
		{
			name: "JSON form",
			src:  `RUN ["sh", "-c", "echo \"hi\""]`,
			want: cmd{Cmd: "run", Value: []string{"sh", "-c", `echo "hi"`}, JSON: true},
		},
		{
			name: "invalid JSON is shell form",
			src:  `CMD ["sh", "-c"`,
			want: cmd{Cmd: "cmd", Value: []string{`["sh", "-c"`}},
		},
		{
			name: "flags",
			src:  "COPY --chown=1:1 --chmod=0755 --from=build a b",
			want: cmd{Cmd: "copy", Value: []string{"a", "b"}, Flags: []string{"--chown=1:1", "--chmod=0755", "--from=build"}},
		},
		{
			name: "continuation lines",
			src:  "RUN apt-get update \\\n  && apt-get install -y curl \\\n  && rm -rf /var/lib/apt/lists/*",
			want: cmd{Cmd: "run", Value: []string{"apt-get update   && apt-get install -y curl   && rm -rf /var/lib/apt/lists/*"}, EndLine: 4},
		},
		{
			name: "comment and blank line inside a continuation",
			src:  "RUN a \\\n# comment\n\n  b",
			want: cmd{Cmd: "run", Value: []string{"a   b"}, EndLine: 5},
		},
		{
			name: "heredoc",
			src:  "RUN <<EOF\nset -e\napt-get update\nEOF",
			want: cmd{Cmd: "run", Value: []string{"<<EOF"}, EndLine: 5, Heredocs: []string{"set -e\napt-get update\n"}},
		},
		{
			name: "two heredocs",
			src:  "COPY <<A <<B /dir/\na\nA\nb\nB",
			want: cmd{Cmd: "copy", Value: []string{"<<A", "<<B", "/dir/"}, EndLine: 6, Heredocs: []string{"a\n", "b\n"}},
		},
		{
			name: "lower-case instruction",
			src:  "user nobody",
			want: cmd{Cmd: "user", Value: []string{"nobody"}},
		},
		{
			name: "instruction without arguments",
			src:  "RUN",
			want: cmd{Cmd: "run", Value: []string{}},
		},
		{
			// buildkit keeps the instruction but not its arguments;
			// docker build rejects it later.
			name: "unknown instruction is kept",
			src:  "FROBNICATE a b",
			want: cmd{Cmd: "frobnicate", Value: []string{""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df, err := parseDockerfile([]byte("FROM x\n" + tt.src + "\n"))
			if err != nil {
				t.Fatalf("parseDockerfile: %v", err)
			}
			if len(df.Stages) != 1 || len(df.Stages[0].Commands) != 2 {
				t.Fatalf("got %+v, want one stage with FROM and the command", df.Stages)
			}
			c := df.Stages[0].Commands[1]
			got := cmd{Cmd: c.Cmd, Value: c.Value, Flags: c.Flags, JSON: c.JSON, StartLine: c.StartLine, EndLine: c.EndLine, Heredocs: c.Heredocs}
			want := tt.want
			want.StartLine = 2
			if want.EndLine == 0 {
				want.EndLine = 2
			}
			if want.Flags == nil {
				want.Flags = []string{}
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("command (-got +want):\n%s", diff)
			}
			if c.Original == "" {
				t.Error("Original is empty")
			}
		})
	}
}

func TestParseDockerfileErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantLine int
		wantMsg  string
	}{
		{name: "no FROM", src: "RUN echo\nUSER root\n", wantLine: 1, wantMsg: "no FROM instruction"},
		{name: "only global ARGs", src: "ARG A=1\nARG B\n", wantLine: 1, wantMsg: "no FROM instruction"},
		{name: "empty", src: "", wantMsg: "invalid Dockerfile"},
		{name: "only comments", src: "# just\n# comments\n", wantMsg: "invalid Dockerfile"},
		{name: "not a Dockerfile", src: "{\"a\": 1}\n", wantMsg: "no FROM instruction", wantLine: 1},
		{name: "ENV without a value", src: "FROM a\nRUN x\nENV A\n", wantMsg: "ENV must have two arguments", wantLine: 3},
		{name: "unterminated heredoc", src: "FROM a\nRUN <<EOF\necho\n", wantMsg: "unterminated heredoc", wantLine: 2},
		{name: "continuation into a bad instruction", src: "FROM a\nLABEL \\\n  x\n", wantMsg: "LABEL", wantLine: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df, err := parseDockerfile([]byte(tt.src))
			if err == nil {
				t.Fatalf("parseDockerfile = %+v, want an error", df)
			}
			var pe *parseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v, want a *parseError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantMsg)
			}
			if tt.wantLine != 0 && pe.Line() != tt.wantLine {
				t.Errorf("error line %d, want %d", pe.Line(), tt.wantLine)
			}
			// The runner turns it into an error finding at that line.
			f := scan.ErrorFinding("Dockerfile", err)
			if f.RuleID != "parse-error" || f.Location.StartLine != pe.Line() {
				t.Errorf("ErrorFinding = %s at line %d, want parse-error at %d", f.RuleID, f.Location.StartLine, pe.Line())
			}
		})
	}
}

func TestDockerfileErrLine(t *testing.T) {
	tests := []struct {
		msg  string
		want int
	}{
		{msg: "dockerfile parse error on line 7: unknown instruction: FOO", want: 7},
		{msg: "dockerfile parse error on line 12: ENV names can not be blank", want: 12},
		{msg: "file with no instructions", want: 0},
		{msg: "something on line 3", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			if got := dockerfileErrLine(errors.New(tt.msg)); got != tt.want {
				t.Errorf("dockerfileErrLine(%q) = %d, want %d", tt.msg, got, tt.want)
			}
		})
	}
}

// TestConftestInputShape checks the shape Conftest's Dockerfile parser
// produces: one flat list of commands with exactly its keys.
func TestConftestInputShape(t *testing.T) {
	src := "ARG BASE=alpine\nFROM $BASE AS a\nENV K=v\nONBUILD RUN [\"echo\", \"x\"]\nonbuild COPY --from=a b c\nFROM scratch\nCOPY --from=a /x /x\n"
	df, err := parseDockerfile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := df.conftestInput()
	want := []any{
		map[string]any{"Cmd": "arg", "Flags": []any{}, "Value": []any{"BASE=alpine"}, "Original": "ARG BASE=alpine", "JSON": false, "Stage": 0, "SubCmd": ""},
		map[string]any{"Cmd": "from", "Flags": []any{}, "Value": []any{"$BASE", "AS", "a"}, "Original": "FROM $BASE AS a", "JSON": false, "Stage": 0, "SubCmd": ""},
		// ENV keeps buildkit's key, value, separator triplets, as in Conftest.
		map[string]any{"Cmd": "env", "Flags": []any{}, "Value": []any{"K", "v", "="}, "Original": "ENV K=v", "JSON": false, "Stage": 0, "SubCmd": ""},
		// ONBUILD: the trigger's name (as written) in SubCmd, its arguments in Value.
		map[string]any{"Cmd": "onbuild", "Flags": []any{}, "Value": []any{"echo", "x"}, "Original": `ONBUILD RUN ["echo", "x"]`, "JSON": true, "Stage": 0, "SubCmd": "RUN"},
		map[string]any{"Cmd": "onbuild", "Flags": []any{}, "Value": []any{"b", "c"}, "Original": "onbuild COPY --from=a b c", "JSON": false, "Stage": 0, "SubCmd": "COPY"},
		map[string]any{"Cmd": "from", "Flags": []any{}, "Value": []any{"scratch"}, "Original": "FROM scratch", "JSON": false, "Stage": 1, "SubCmd": ""},
		map[string]any{"Cmd": "copy", "Flags": []any{"--from=a"}, "Value": []any{"/x", "/x"}, "Original": "COPY --from=a /x /x", "JSON": false, "Stage": 1, "SubCmd": ""},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("conftestInput (-got +want):\n%s", diff)
	}
	// It must survive a JSON round trip (what OPA does with it) unchanged.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`[{"Cmd":"arg",`)) {
		t.Errorf("JSON form %s: want a flat list of commands", b)
	}
}

func TestDockerfileInputShape(t *testing.T) {
	df, err := parseDockerfile([]byte("FROM a\nRUN x\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := df.input()
	stages := in["stages"].([]any)
	if len(stages) != 1 || len(in["args"].([]any)) != 0 {
		t.Fatalf("input = %v, want one stage and no args", in)
	}
	st := stages[0].(map[string]any)
	var keys []string
	for k := range st {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if diff := cmp.Diff(keys, []string{"base", "commands", "index", "name", "platform", "start_line"}); diff != "" {
		t.Errorf("stage keys (-got +want):\n%s", diff)
	}
	run := st["commands"].([]any)[1].(map[string]any)
	want := map[string]any{
		"cmd": "run", "value": []any{"x"}, "flags": []any{}, "original": "RUN x",
		"json": false, "start_line": 2, "end_line": 2, "stage": 0,
	}
	if diff := cmp.Diff(run, want); diff != "" {
		t.Errorf("RUN command (-got +want):\n%s", diff)
	}
}

func TestIsDockerfileName(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{path: "Dockerfile", want: true},
		{path: "dockerfile", want: true},
		{path: "build/DOCKERFILE", want: true},
		{path: "Dockerfile.prod", want: true},
		{path: "Dockerfile-dev", want: true},
		{path: "app.Dockerfile", want: true},
		{path: "deploy/api.dockerfile", want: true},
		{path: "Containerfile", want: true},
		{path: "Containerfile.arm64", want: true},
		{path: "x.containerfile", want: true},
		{path: "Dockerfiles", want: false},
		{path: "Dockerfile_old", want: false},
		{path: "MyDockerfile", want: false},
		{path: "dockerfile.go", want: true},
		{path: "docker-compose.yml", want: false},
		{path: ".dockerignore", want: false},
		{path: "Dockerfile/README.md", want: false},
		{path: "notes.txt", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := isDockerfileName(tt.path); got != tt.want {
				t.Errorf("isDockerfileName(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestLooksLikeDockerfile(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{name: "FROM first", src: "FROM alpine\n", want: true},
		{name: "lower case", src: "from alpine\n", want: true},
		{name: "indented", src: "   FROM alpine\n", want: true},
		{name: "after comments, directives, blank lines and ARGs", src: "# syntax=docker/dockerfile:1\n\n# hi\nARG X=1\narg Y\nFROM alpine\n", want: true},
		{name: "CRLF", src: "# c\r\nFROM alpine\r\n", want: true},
		{name: "tab after FROM", src: "FROM\talpine\n", want: false},
		{name: "RUN first", src: "RUN echo\nFROM alpine\n", want: false},
		{name: "shell script", src: "#!/bin/sh\necho FROM\n", want: false},
		{name: "FROM in prose", src: "FROMAGE is cheese\n", want: false},
		{name: "Makefile", src: "all:\n\tgo build\n", want: false},
		{name: "empty", src: "", want: false},
		{name: "only comments", src: "# FROM alpine\n", want: false},
		{name: "FROM after 64 KiB of comments", src: strings.Repeat("#\n", 40<<10) + "FROM alpine\n", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := looksLikeDockerfile([]byte(tt.src)); got != tt.want {
				t.Errorf("looksLikeDockerfile(%q...) = %v, want %v", tt.src[:min(len(tt.src), 40)], got, tt.want)
			}
		})
	}
}
