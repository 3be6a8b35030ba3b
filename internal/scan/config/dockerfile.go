package config

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dfCommand is one instruction as Rampart's Dockerfile policies see it.
type dfCommand struct {
	Cmd       string   `json:"cmd"`
	Value     []string `json:"value"`
	Flags     []string `json:"flags"`
	Original  string   `json:"original"`
	JSON      bool     `json:"json"`
	StartLine int      `json:"start_line"`
	EndLine   int      `json:"end_line"`
	Stage     int      `json:"stage"`
	Heredocs  []string `json:"heredocs,omitempty"`
	raw       []string // buildkit's argument list, for Conftest's shape
	conftest  conftestCommand
}

// conftestCommand is what Conftest's Dockerfile parser makes of an
// instruction where it differs from Rampart's: ONBUILD's sub-command.
type conftestCommand struct {
	subCmd string
	value  []string
	json   bool
}

type dfStage struct {
	Index     int         `json:"index"`
	Name      string      `json:"name"`
	Base      string      `json:"base"`
	Platform  string      `json:"platform"`
	StartLine int         `json:"start_line"`
	Commands  []dfCommand `json:"commands"`
}

// dockerfile is the parsed file: global ARGs and the build stages.
type dockerfile struct {
	Stages []dfStage   `json:"stages"`
	Args   []dfCommand `json:"args"`
	Lines  int         `json:"-"`
}

// parseDockerfile parses with buildkit's parser (the one `docker build`
// uses) and adapts the AST to the shape the policies read.
func parseDockerfile(src []byte) (*dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, &parseError{line: dockerfileErrLine(err), msg: "invalid Dockerfile: " + err.Error()}
	}
	df := &dockerfile{Stages: []dfStage{}, Args: []dfCommand{}, Lines: bytes.Count(src, []byte("\n")) + 1}
	for _, n := range res.AST.Children {
		c := dfCommand{
			Cmd: strings.ToLower(n.Value), Flags: n.Flags, Original: n.Original,
			JSON: n.Attributes["json"], StartLine: n.StartLine, EndLine: n.EndLine,
			Value: []string{}, Stage: len(df.Stages) - 1,
		}
		if c.Flags == nil {
			c.Flags = []string{}
		}
		for a := n.Next; a != nil; a = a.Next {
			c.raw = append(c.raw, a.Value)
		}
		c.conftest = conftestCommand{value: c.raw, json: c.JSON}
		if n.Next != nil && len(n.Next.Children) > 0 {
			// ONBUILD RUN x: Conftest reports the trigger's name as SubCmd
			// (as written) and its arguments as Value.
			sub := n.Next.Children[0]
			c.conftest = conftestCommand{subCmd: sub.Value, json: sub.Attributes["json"]}
			for a := sub.Next; a != nil; a = a.Next {
				c.conftest.value = append(c.conftest.value, a.Value)
			}
		}
		c.Value = adaptValue(c.Cmd, c.raw)
		for _, h := range n.Heredocs {
			c.Heredocs = append(c.Heredocs, h.Content)
		}
		if c.Cmd == "from" {
			df.Stages = append(df.Stages, newStage(len(df.Stages), c))
			c.Stage = len(df.Stages) - 1
		}
		if c.Stage < 0 { // before the first FROM: only ARG is allowed
			df.Args = append(df.Args, c)
			continue
		}
		st := &df.Stages[c.Stage]
		st.Commands = append(st.Commands, c)
	}
	if len(df.Stages) == 0 {
		return nil, &parseError{line: 1, msg: "invalid Dockerfile: no FROM instruction"}
	}
	return df, nil
}

func newStage(i int, from dfCommand) dfStage {
	st := dfStage{Index: i, StartLine: from.StartLine, Commands: []dfCommand{}}
	if len(from.Value) > 0 {
		st.Base = from.Value[0]
	}
	if len(from.Value) == 3 && strings.EqualFold(from.Value[1], "as") {
		st.Name = from.Value[2]
	}
	for _, f := range from.Flags {
		if p, ok := strings.CutPrefix(f, "--platform="); ok {
			st.Platform = p
		}
	}
	return st
}

// adaptValue flattens buildkit's ENV and LABEL triplets (key, value,
// separator) to key, value pairs with quotes removed.
func adaptValue(cmd string, raw []string) []string {
	if cmd != "env" && cmd != "label" {
		if raw == nil {
			return []string{}
		}
		return raw
	}
	out := make([]string, 0, len(raw))
	for i := 0; i+1 < len(raw); i += 3 {
		out = append(out, raw[i], unquote(raw[i+1]))
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// dockerfileErrLine reads the line buildkit puts in its error locations:
// attached to the error (ENV must have two arguments, unterminated heredoc),
// or in older messages' text.
func dockerfileErrLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, loc := range le.Locations {
			if len(loc) > 0 && loc[0].Start.Line > 0 {
				return loc[0].Start.Line
			}
		}
	}
	var line int
	if _, scanErr := fmt.Sscanf(err.Error(), "dockerfile parse error on line %d", &line); scanErr == nil {
		return line
	}
	return 0
}

// input is what rampart.dockerfile.* policies receive.
func (df *dockerfile) input() map[string]any {
	stages := make([]any, 0, len(df.Stages))
	for _, st := range df.Stages {
		cmds := make([]any, 0, len(st.Commands))
		for _, c := range st.Commands {
			cmds = append(cmds, c.input())
		}
		stages = append(stages, map[string]any{
			"index": st.Index, "name": st.Name, "base": st.Base, "platform": st.Platform,
			"start_line": st.StartLine, "commands": cmds,
		})
	}
	args := make([]any, 0, len(df.Args))
	for _, c := range df.Args {
		args = append(args, c.input())
	}
	return map[string]any{"stages": stages, "args": args}
}

func (c dfCommand) input() map[string]any {
	m := map[string]any{
		"cmd": c.Cmd, "value": toAny(c.Value), "flags": toAny(c.Flags), "original": c.Original,
		"json": c.JSON, "start_line": c.StartLine, "end_line": c.EndLine, "stage": c.Stage,
	}
	if len(c.Heredocs) > 0 {
		m["heredocs"] = toAny(c.Heredocs)
	}
	return m
}

// conftestInput is the shape Conftest's Dockerfile parser produces: a flat
// list of commands with Cmd, Flags, Value, Original, JSON, Stage and SubCmd,
// so that existing Conftest Dockerfile policies run unchanged.
func (df *dockerfile) conftestInput() []any {
	var out []any
	add := func(c dfCommand, stage int) {
		out = append(out, map[string]any{
			"Cmd": c.Cmd, "Flags": toAny(c.Flags), "Value": toAny(c.conftest.value), "Original": c.Original,
			"JSON": c.conftest.json, "Stage": stage, "SubCmd": c.conftest.subCmd,
		})
	}
	for _, c := range df.Args {
		add(c, 0)
	}
	for _, st := range df.Stages {
		for _, c := range st.Commands {
			add(c, st.Index)
		}
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// isDockerfileName reports names that are Dockerfiles by convention:
// Dockerfile, Dockerfile.prod, app.Dockerfile, Containerfile.
func isDockerfileName(p string) bool {
	name := strings.ToLower(path.Base(p))
	for _, base := range []string{"dockerfile", "containerfile"} {
		if name == base || strings.HasPrefix(name, base+".") || strings.HasPrefix(name, base+"-") || strings.HasSuffix(name, "."+base) {
			return true
		}
	}
	return false
}

// looksLikeDockerfile sniffs content: the first instruction, after comments,
// parser directives and global ARGs, is FROM.
func looksLikeDockerfile(src []byte) bool {
	if len(src) > 64<<10 {
		src = src[:64<<10]
	}
	for line := range strings.SplitSeq(string(src), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		word, _, _ := strings.Cut(t, " ")
		switch strings.ToUpper(word) {
		case "ARG":
			continue
		case "FROM":
			return true
		}
		return false
	}
	return false
}
