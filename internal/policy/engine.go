// Package policy is Rampart's one policy engine: it loads the bundled and
// user Rego policies with their metadata, prepares one query per input kind
// once, and evaluates inputs against it concurrently.
package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/policy/planeval"
)

// Options configures Load.
type Options struct {
	// Dirs are user policy directories or files (--policy).
	Dirs []string
	// Namespaces are the Conftest packages to evaluate (--namespace);
	// default ["main"].
	Namespaces []string
	// AllNamespaces evaluates deny/warn/violation rules of every user package.
	AllNamespaces bool
	// NoBuiltin leaves out the bundled policies.
	NoBuiltin bool
	// Evaluator selects how queries run: EvaluatorPlan (the default) or
	// EvaluatorTopdown.
	Evaluator string
	Logger    *slog.Logger
}

// Evaluators of prepared queries.
const (
	// EvaluatorPlan compiles each query to OPA's plan IR and runs it with
	// planeval, at about a third of topdown's CPU per evaluation; a query
	// the planner cannot plan runs on topdown instead.
	EvaluatorPlan = "plan"
	// EvaluatorTopdown runs queries on OPA's own tree-walking evaluator.
	EvaluatorTopdown = "topdown"
)

// Query asks the engine to judge one input.
type Query struct {
	// Kind selects the policies: KindKubernetes, KindDockerfile, ...
	Kind string
	// Input is a JSON-like value (maps, slices, strings, numbers, bools) or
	// an ast.Value built by the caller.
	Input any
	// ResourceKind, when set, evaluates only the rules whose kinds metadata
	// covers it (and rules without kinds): a Service is not run through
	// thirty pod-spec rules. Empty evaluates every rule of Kind.
	ResourceKind string
}

// Decision is what the policies said about one input.
type Decision struct {
	Results []Result
}

// Result is one violation reported by one rule.
type Result struct {
	Rule    *Rule
	Message string
	// Field is the dotted path of the offending field, if the rule gave one.
	Field string
	// StartLine and EndLine, when the rule gave them (Dockerfile rules do).
	StartLine, EndLine int
	// Document indexes input.documents for set-level rules; -1 otherwise.
	Document int
}

// Engine evaluates prepared policy queries. It is safe for concurrent use.
type Engine struct {
	rules   []*Rule
	queries map[string]*kindQueries
	log     *slog.Logger
}

// kindQueries are the prepared queries of one input kind: one over every
// rule, and one per resource kind named in the rules' kinds metadata.
type kindQueries struct {
	all *preparedKind
	// byResource maps a resource kind to the query over the rules that
	// apply to it; a kind no rule names uses generic (rules without kinds),
	// which is nil when every rule names its kinds.
	byResource map[string]*preparedKind
	generic    *preparedKind
}

var _ interface {
	Decide(context.Context, Query) (Decision, error)
} = (*Engine)(nil)

// preparedKind is the single query that evaluates every rule of one input
// kind: OPA prepares it once, and one evaluation per input runs all rules.
type preparedKind struct {
	query rego.PreparedEvalQuery
	rules []*Rule
}

// decisionRule matches the rule names Conftest evaluates.
var decisionRule = regexp.MustCompile(`^(deny|violation|warn)(_[A-Za-z0-9_]+)?$`)

// Load parses, checks and compiles the policies and prepares their queries.
// Errors in policies wrap ErrInvalidPolicy.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if len(opts.Namespaces) == 0 {
		opts.Namespaces = []string{"main"}
	}
	switch opts.Evaluator {
	case "", EvaluatorPlan, EvaluatorTopdown:
	default:
		return nil, fmt.Errorf("unknown policy evaluator %q (want %s or %s)", opts.Evaluator, EvaluatorPlan, EvaluatorTopdown)
	}
	mods, err := loadModules(loadOptions{builtin: !opts.NoBuiltin, dirs: opts.Dirs})
	if err != nil {
		return nil, err
	}
	compiler, err := compile(mods)
	if err != nil {
		return nil, err
	}
	rules, err := collectRules(compiler, mods, opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{rules: rules, queries: map[string]*kindQueries{}, log: opts.Logger}
	p := &preparer{compiler: compiler, topdown: opts.Evaluator == EvaluatorTopdown, log: opts.Logger}
	byKind := map[string][]*Rule{}
	for _, r := range rules {
		byKind[r.Input] = append(byKind[r.Input], r)
	}
	for kind, rs := range byKind {
		kq, err := p.prepareKind(ctx, rs)
		if err != nil {
			return nil, fmt.Errorf("prepare %s policies: %w", kind, err)
		}
		e.queries[kind] = kq
		e.log.Debug("policies prepared", "input", kind, "rules", len(rs), "resource_kinds", len(kq.byResource))
	}
	return e, nil
}

// prepareKind prepares the queries of one input kind. Resource kinds whose
// rule sets are equal share one prepared query.
func (p *preparer) prepareKind(ctx context.Context, rules []*Rule) (*kindQueries, error) {
	all, err := p.prepare(ctx, rules)
	if err != nil {
		return nil, err
	}
	kq := &kindQueries{all: all, byResource: map[string]*preparedKind{}}
	var generic []*Rule
	named := map[string]bool{}
	for _, r := range rules {
		if len(r.Kinds) == 0 {
			generic = append(generic, r)
		}
		for _, k := range r.Kinds {
			if k == "workload" {
				for _, w := range WorkloadKinds {
					named[w] = true
				}
				continue
			}
			named[k] = true
		}
	}
	if len(generic) > 0 {
		if kq.generic, err = p.prepare(ctx, generic); err != nil {
			return nil, err
		}
	}
	bySet := map[string]*preparedKind{}
	for k := range named {
		var subset []*Rule
		var key strings.Builder
		for _, r := range rules {
			if len(r.Kinds) == 0 || r.AppliesTo(k) {
				subset = append(subset, r)
				key.WriteString(r.ID)
				key.WriteByte(0)
			}
		}
		pq, ok := bySet[key.String()]
		if !ok {
			if pq, err = p.prepare(ctx, subset); err != nil {
				return nil, err
			}
			bySet[key.String()] = pq
		}
		kq.byResource[k] = pq
	}
	return kq, nil
}

func compile(mods []module) (*ast.Compiler, error) {
	byName := make(map[string]*ast.Module, len(mods))
	for _, m := range mods {
		byName[m.name] = m.mod
	}
	c := ast.NewCompiler().WithEnablePrintStatements(false)
	if c.Compile(byName); c.Failed() {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, c.Errors)
	}
	return c, nil
}

// collectRules finds the decision rules and their metadata: Rampart packages
// (rampart.<kind>.<name>, rule deny) need full metadata; Conftest packages
// need none.
func collectRules(c *ast.Compiler, mods []module, opts Options) ([]*Rule, error) {
	var rules []*Rule
	var errs []error
	seenPkg := map[string]bool{}
	ids := map[string]*Rule{}
	for _, m := range mods {
		pkgPath := m.mod.Package.Path
		pkg := strings.TrimPrefix(pkgPath.String(), "data.")
		if seenPkg[pkg] {
			continue // a package split over several files: judged once
		}
		switch {
		case len(pkgPath) >= 4 && pkgPath[1].Value.Compare(ast.String("rampart")) == 0:
			seenPkg[pkg] = true
			kind := strings.Trim(pkgPath[2].Value.String(), `"`)
			if !hasRule(c, pkgPath, "deny") {
				continue // a helper package inside the rampart tree
			}
			r, err := ruleFromAnnotations(pkg, packageAnnotation(c, pkgPath))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
				continue
			}
			r.Input, r.Source, r.Builtin, r.decision = kind, m.name, m.builtin, "deny"
			r.partialSet = isPartialSet(c, pkgPath, "deny")
			if prev, dup := ids[r.ID]; dup {
				errs = append(errs, fmt.Errorf("%s: rule id %q is already used by %s", m.name, r.ID, prev.Source))
				continue
			}
			ids[r.ID] = r
			rules = append(rules, r)
		case !m.builtin && isConftestPackage(pkg, opts):
			seenPkg[pkg] = true
			for _, name := range conftestRules(c, pkgPath) {
				r := conftestRule(pkg, name, m.name, packageAnnotation(c, pkgPath))
				if _, dup := ids[r.ID]; dup {
					continue
				}
				ids[r.ID] = r
				rules = append(rules, r)
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, errors.Join(errs...))
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	return rules, nil
}

func isConftestPackage(pkg string, opts Options) bool {
	if opts.AllNamespaces {
		return !strings.HasPrefix(pkg, "lib.") && !strings.HasPrefix(pkg, "rampart.")
	}
	return slices.Contains(opts.Namespaces, pkg)
}

// isPartialSet reports whether every definition of the rule is a partial
// set ("deny contains x if ..."), which is never undefined.
func isPartialSet(c *ast.Compiler, pkg ast.Ref, name string) bool {
	rules := c.GetRulesExact(pkg.Append(ast.StringTerm(name)))
	for _, r := range rules {
		if r.Head.RuleKind() != ast.MultiValue || len(r.Head.Ref()) != 1 {
			return false
		}
	}
	return len(rules) > 0
}

func hasRule(c *ast.Compiler, pkg ast.Ref, name string) bool {
	return len(c.GetRulesExact(pkg.Append(ast.StringTerm(name)))) > 0
}

// conftestRules lists a package's deny/warn/violation rules, sorted.
func conftestRules(c *ast.Compiler, pkg ast.Ref) []string {
	set := map[string]bool{}
	for _, m := range c.Modules {
		if !m.Package.Path.Equal(pkg) {
			continue
		}
		for _, r := range m.Rules {
			if name := r.Head.Name.String(); name != "" && decisionRule.MatchString(name) {
				set[name] = true
			} else if ref := r.Head.Ref(); len(ref) > 0 {
				if s, ok := ref[0].Value.(ast.Var); ok && decisionRule.MatchString(string(s)) {
					set[string(s)] = true
				}
			}
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// conftestRule describes a Conftest rule. deny and violation fail a Conftest
// run, so they map to high; warn maps to low. Package metadata, when present,
// overrides the defaults.
func conftestRule(pkg, name, source string, a *ast.Annotations) *Rule {
	r := &Rule{
		ID: pkg + "." + name, Title: pkg + "." + name, Severity: finding.SeverityHigh,
		Input: KindConftest, Package: pkg, Source: source, decision: name, Controls: []string{},
	}
	if strings.HasPrefix(name, "warn") {
		r.Severity = finding.SeverityLow
	}
	if a == nil {
		return r
	}
	if a.Title != "" {
		r.Title = a.Title
	}
	r.Description = strings.TrimSpace(a.Description)
	if s, err := customString(a.Custom, "severity", false); err == nil && s != "" {
		if sev, err := finding.ParseSeverity(s); err == nil {
			r.Severity = sev
		}
	}
	if s, _ := customString(a.Custom, "remediation", false); s != "" {
		r.Remediation = s
	}
	if ctl, err := customStrings(a.Custom, "controls"); err == nil && ctl != nil {
		r.Controls = ctl
	}
	if l, _ := customString(a.Custom, "layer", false); l != "" {
		r.Layer = finding.Layer(l)
	}
	return r
}

func packageAnnotation(c *ast.Compiler, pkg ast.Ref) *ast.Annotations {
	for _, ref := range c.GetAnnotationSet().Flatten() {
		a := ref.Annotations
		if a.Scope == "package" && ref.GetPackage() != nil && ref.GetPackage().Path.Equal(pkg) {
			return a
		}
	}
	return nil
}

// preparer prepares queries over one compiled set of policies.
type preparer struct {
	compiler *ast.Compiler
	topdown  bool
	log      *slog.Logger
}

// prepare builds one query that collects every rule's results into an array
// indexed like rules: res := [[r | r := data.a.deny[_]], ...]. A comprehension
// is empty rather than undefined when a rule has no results.
func (p *preparer) prepare(ctx context.Context, rules []*Rule) (*preparedKind, error) {
	query := queryFor(rules)
	// planeval reads no rego store; the engine loads no base data, only
	// rules, so the plan sees everything topdown would.
	if !p.topdown {
		planeval.Register()
		pq, err := rego.New(rego.Compiler(p.compiler), rego.Query(query), rego.Target(planeval.Target)).PrepareForEval(ctx)
		if err == nil {
			return &preparedKind{query: pq, rules: rules}, nil
		}
		// The planner does not cover every construct (with on functions,
		// some dynamic data references): such a query runs on topdown.
		p.log.Debug("policy query not planned, evaluating it with topdown", "rules", len(rules), "err", err)
	}
	pq, err := rego.New(rego.Compiler(p.compiler), rego.Query(query)).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	return &preparedKind{query: pq, rules: rules}, nil
}

func queryFor(rules []*Rule) string {
	var b strings.Builder
	b.WriteString("res := [")
	for i, r := range rules {
		if i > 0 {
			b.WriteString(", ")
		}
		ref := ast.MustParseRef("data." + r.Package).Append(ast.StringTerm(r.decision))
		if r.partialSet {
			// A partial set rule is always defined (empty when nothing
			// matches), so it needs no comprehension: one evaluation less
			// per rule and document.
			b.WriteString(ref.String())
			continue
		}
		fmt.Fprintf(&b, "[r | r := %s[_]]", ref)
	}
	b.WriteString("]")
	return b.String()
}

// Rules returns every loaded rule, sorted by id.
func (e *Engine) Rules() []*Rule { return e.rules }

// Rule returns the rule with the given id, or nil.
func (e *Engine) Rule(id string) *Rule {
	for _, r := range e.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Has reports whether any rule takes inputs of this kind.
func (e *Engine) Has(kind string) bool { return e.queries[kind] != nil }

// Decide evaluates every rule of q.Kind against q.Input.
func (e *Engine) Decide(ctx context.Context, q Query) (Decision, error) {
	kq := e.queries[q.Kind]
	if kq == nil {
		return Decision{}, nil
	}
	pk := kq.all
	if q.ResourceKind != "" {
		var ok bool
		if pk, ok = kq.byResource[q.ResourceKind]; !ok {
			pk = kq.generic
		}
	}
	if pk == nil {
		return Decision{}, nil
	}
	opt := rego.EvalInput(q.Input)
	if v, ok := q.Input.(ast.Value); ok {
		opt = rego.EvalParsedInput(v)
	}
	rs, err := pk.query.Eval(ctx, opt)
	if err != nil {
		return Decision{}, fmt.Errorf("evaluate %s policies: %w", q.Kind, err)
	}
	if len(rs) == 0 {
		return Decision{}, nil
	}
	perRule, ok := rs[0].Bindings["res"].([]any)
	if !ok || len(perRule) != len(pk.rules) {
		return Decision{}, fmt.Errorf("evaluate %s policies: unexpected result shape %T", q.Kind, rs[0].Bindings["res"])
	}
	var d Decision
	for i, raw := range perRule {
		items, _ := raw.([]any) // sets and arrays both arrive as []any
		for _, item := range items {
			d.Results = append(d.Results, resultFrom(pk.rules[i], item))
		}
	}
	return d, nil
}

// resultFrom reads one element of a deny set: a message string (Conftest) or
// an object with msg and optional field, start_line/end_line (or line) and
// document.
func resultFrom(r *Rule, item any) Result {
	res := Result{Rule: r, Document: -1}
	switch v := item.(type) {
	case string:
		res.Message = v
	case map[string]any:
		res.Message, _ = v["msg"].(string)
		res.Field, _ = v["field"].(string)
		res.StartLine = intOf(v["start_line"])
		if res.StartLine == 0 {
			res.StartLine = intOf(v["line"])
		}
		res.EndLine = intOf(v["end_line"])
		if d, ok := v["document"]; ok {
			res.Document = intOf(d)
		}
		if res.Message == "" {
			res.Message = fmt.Sprint(v)
		}
	default:
		res.Message = fmt.Sprint(v)
	}
	if res.Message == "" {
		res.Message = r.Title
	}
	return res
}

func intOf(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case interface{ Int64() (int64, error) }: // json.Number
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
