package planeval

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// The differential cases: each query runs on topdown (the reference) and on
// the plan evaluator, over each input, and the result sets must be equal.
type diffCase struct {
	name   string
	module string
	query  string
	inputs []string // "" evaluates without an input document
}

var cases = []diffCase{
	{
		name: "partial set over containers",
		module: `package t
containers contains c if {
	some type in ["initContainers", "containers"]
	some i, ctr in input.spec[type]
	c := {"path": sprintf("spec.%s[%d]", [type, i]), "c": ctr}
}
deny contains msg if {
	some c in containers
	c.c.securityContext.privileged == true
	msg := sprintf("%s is privileged", [c.path])
}`,
		query: "x := data.t.deny",
		inputs: []string{
			`{"spec": {"containers": [{"securityContext": {"privileged": true}}, {"name": "b"}], "initContainers": [{"securityContext": {"privileged": true}}]}}`,
			`{"spec": {"containers": "not a list"}}`,
			`{"spec": {"containers": [1, null, "x", {"securityContext": null}]}}`,
			`{}`, `[]`, `"scalar"`, `null`,
		},
	},
	{
		name: "complete rules, else, default and functions",
		module: `package t
default level := "none"
level := "high" if input.x > 10
else := "low" if input.x > 0
f(a, b) := a + b if a > 0
f(a, b) := a - b if a <= 0
g(x) := y if { y := object.get(x, ["a", "b"], "dflt") }
r := [f(input.x, 1), g(input)]`,
		query:  "a := data.t.level; b := data.t.r",
		inputs: []string{`{"x": 11}`, `{"x": 3, "a": {"b": 7}}`, `{"x": -2}`, `{"x": "str"}`, `{}`, ""},
	},
	{
		name: "rules that do not read the input",
		module: `package t
n := count([1 | some i in numbers.range(1, 30); some j in numbers.range(1, 4)])
s := {x | some x in ["b", "a", "b"]}
msg := concat(",", sort(s))`,
		query:  "x := [data.t.n, data.t.s, data.t.msg]",
		inputs: []string{"", `{}`, `[1]`},
	},
	{
		name: "negation, every and membership",
		module: `package t
all_named if every c in input.cs { c.name != "" }
none_root if not any_root
any_root if { some c in input.cs; c.user == 0 }
has_a if "a" in input.tags
has_k if input.m.k
miss if not input.m.k`,
		query: "a := [data.t.all_named, data.t.none_root, data.t.has_a]; b := {k | data.t[k] == true}",
		inputs: []string{
			`{"cs": [{"name": "x", "user": 1}, {"name": "y", "user": 0}], "tags": ["a", "b"], "m": {"k": false}}`,
			`{"cs": [], "tags": {"a": 1}, "m": {}}`,
			`{"cs": [{"name": ""}], "tags": "a"}`,
			`{}`,
		},
	},
	{
		name: "comprehensions, objects and sets",
		module: `package t
arr := [y | some x in input.nums; x > 1; y := x * 2]
st := {x | some x in input.nums}
obj := {k: count(v) | some k, v in input.m}
objrule[k] := v if { some k, v in input.m; is_array(v) }
n := count(input.nums)
s := sum([x | some x in input.nums])
nested := [[i, j] | some i in [1, 2]; some j in [3, 4]; i + j != 5]`,
		query: "x := [data.t.arr, data.t.st, data.t.obj, data.t.objrule, data.t.n, data.t.s, data.t.nested]",
		inputs: []string{
			`{"nums": [1, 2, 3, 2.5, 1e3], "m": {"a": [1, 2], "b": "xyz", "c": {"d": 1}}}`,
			`{"nums": [], "m": {}}`,
			`{"nums": "no"}`,
		},
	},
	{
		name: "built-in errors are undefined, not failures",
		module: `package t
bad contains "sprintf" if sprintf(input.fmt, input.args)
bad contains "div" if input.a / input.b
bad contains "regex" if regex.match(input.re, "x")
ok contains "upper" if upper(input.s) == "ABC"
ok contains "split" if split(input.s, "b")[1] == "c"`,
		query: "x := [data.t.bad, data.t.ok]",
		inputs: []string{
			`{"fmt": 1, "args": [], "a": 1, "b": 0, "re": "(", "s": "abc"}`,
			`{"fmt": "%d", "args": [1], "a": 4, "b": 2, "re": "x", "s": 5}`,
		},
	},
	{
		name: "print holds, time is fixed per evaluation",
		module: `package t
p contains "printed" if { print("x", input.a); true }
same if time.now_ns() == time.now_ns()`,
		query:  "x := [data.t.p, data.t.same]",
		inputs: []string{`{"a": 1}`, `{}`},
	},
	{
		name: "conflicting complete rule is an error",
		module: `package t
v := 1 if input.a
v := 2 if input.b`,
		query:  "x := data.t.v",
		inputs: []string{`{"a": true}`, `{"a": true, "b": true}`, `{}`},
	},
	{
		name: "with replaces input and keeps rules apart",
		module: `package t
name := input.name
both := [name, name2]
name2 := n if n := name with input.name as "other"`,
		query:  "x := data.t.both",
		inputs: []string{`{"name": "first"}`, `{}`},
	},
	{
		name: "walk, object built-ins and numbers",
		module: `package t
paths contains p if { some p, v in walk(input); v == "secret" }
merged := object.union(input.a, input.b)
keys := {k | some k, _ in input.a}
big := input.n == 1.0
str := format_int(input.n, 10)`,
		query: "x := [data.t.paths, data.t.merged, data.t.keys, data.t.big, data.t.str]",
		inputs: []string{
			`{"a": {"x": {"y": "secret"}, "z": [1, "secret"]}, "b": {"x": {"w": 2}}, "n": 1}`,
			`{"a": 1, "n": 1.5}`,
		},
	},
}

func TestAgreesWithTopdown(t *testing.T) {
	runDiff(t, append(cases, reviewCases...), func(_ *testing.T, want, got rego.ResultSet) bool {
		return reflect.DeepEqual(bindings(want), bindings(got))
	})
}

// runDiff prepares each case's query on topdown and on the plan evaluator
// and requires, for every input, the same error status and results that
// same(want, got) accepts.
func runDiff(t *testing.T, cs []diffCase, same func(t *testing.T, want, got rego.ResultSet) bool) {
	Register()
	ctx := context.Background()
	for _, tc := range cs {
		t.Run(tc.name, func(t *testing.T) {
			mod := rego.Module("t.rego", tc.module)
			// print is kept (rego drops it by default) so that its
			// result-less call is exercised.
			v1 := func(r *rego.Rego) { rego.SetRegoVersion(ast.RegoV1)(r); rego.EnablePrintStatements(true)(r) }
			td, err := rego.New(rego.Query(tc.query), mod, v1).PrepareForEval(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pl, err := rego.New(rego.Query(tc.query), mod, v1, rego.Target(Target)).PrepareForEval(ctx)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			for _, in := range tc.inputs {
				var opts []rego.EvalOption
				if in != "" {
					v, err := ast.ValueFromReader(strings.NewReader(in))
					if err != nil {
						t.Fatal(err)
					}
					opts = append(opts, rego.EvalParsedInput(v))
				}
				want, werr := td.Eval(ctx, opts...)
				got, gerr := pl.Eval(ctx, opts...)
				if (werr != nil) != (gerr != nil) {
					t.Errorf("input %s: topdown error %v, plan error %v", in, werr, gerr)
					continue
				}
				if !same(t, want, got) {
					t.Errorf("input %s:\ntopdown %s\nplan    %s", in, bindings(want), bindings(got))
				}
			}
		})
	}
}

// bindings renders a result set as JSON: sets arrive as arrays in an order
// both evaluators derive from the values, so equal sets render alike.
func bindings(rs rego.ResultSet) string {
	var out []map[string]any
	for _, r := range rs {
		out = append(out, r.Bindings)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestUnsupportedStatementFailsPrepare(t *testing.T) {
	Register()
	// A reference into data with a variable key is planned as a dynamic
	// call, which this evaluator leaves to topdown.
	mod := rego.Module("t.rego", "package t\np.q := 1\nr := 2")
	_, err := rego.New(rego.Query(`x := data.t[input.k]`), mod, rego.Target(Target)).PrepareForEval(context.Background())
	if err == nil {
		t.Skip("the planner no longer emits dynamic calls for this query")
	}
	if !strings.Contains(err.Error(), "unsupported statement") {
		t.Fatalf("err = %v, want an unsupported statement", err)
	}
}

func TestCancelled(t *testing.T) {
	Register()
	mod := rego.Module("t.rego", "package t\nn := count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100)])")
	pq, err := rego.New(rego.Query("x := data.t.n"), mod, rego.Target(Target)).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rs, err := pq.Eval(ctx); err == nil {
		t.Fatalf("a cancelled evaluation returned no error but %v", rs)
	}
}
