// Package planeval evaluates OPA query plans (the planner's IR) directly on
// ast values, as an OPA rego target plugin.
//
// Why hand-written: OPA's tree-walking evaluator (topdown) spends most of a
// scan on unification, bindings and rule-index lookups around each
// expression. OPA already compiles a prepared query to a plan, an imperative
// IR of scans, lookups and calls, and exposes a plugin interface for
// evaluating it (rego.TargetPlugin), but the only evaluator of plans it ships
// is Wasm, which needs a Wasm runtime that is not in Rampart, and Enterprise
// OPA's VM is not published on the module proxy. The IR is small (about
// thirty statements), so this package interprets it and reuses topdown's
// built-in functions for every call, which keeps their semantics exactly.
//
// Semantics follow OPA's Wasm compiler (internal/compiler/wasm), the
// reference consumer of the IR: a statement that is undefined leaves its
// block, BreakStmt{Index: n} leaves n+1 enclosing blocks, rules (functions
// of input and data only) are memoized per evaluation, and built-in errors
// make the call undefined unless they halt evaluation, as in topdown's
// default non-strict mode.
//
// The data document holds the policies' rules only: base documents in a
// rego store are not read (the plugin interface does not pass the store).
// Rampart's engine loads none; a caller that adds base data must evaluate
// with topdown.
//
// Known differences from topdown, none of which changes a decision: a query
// with several solutions returns them as a set (the plugin interface asks
// for one), so duplicates collapse and the order is the set's; where two
// equal numbers written differently compete for one value (a complete rule
// or an object comprehension yielding both 1 and 1.0), the one kept may be
// written the other way; and the non-deterministic built-in cache
// (rego.EvalNDBuiltinCache) is not filled.
package planeval

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

// Target is the rego.Target name under which Register installs the evaluator.
const Target = "rampart-plan"

var registerOnce sync.Once

// Register installs the evaluator as the rego target plugin named Target.
// It is safe to call more than once.
func Register() {
	registerOnce.Do(func() { rego.RegisterPlugin(Target, plugin{}) })
}

type plugin struct{}

func (plugin) IsTarget(t string) bool { return t == Target }

func (plugin) PrepareForEval(_ context.Context, p *ir.Policy, opts ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	cfg := &rego.PrepareConfig{}
	for _, o := range opts {
		o(cfg)
	}
	custom := map[string]topdown.BuiltinFunc{}
	for name, b := range cfg.BuiltinFuncs() {
		custom[name] = b.Func
	}
	return Compile(p, custom)
}

// Program is a plan translated for evaluation. It is safe for concurrent
// use: every Eval has its own locals and memo.
type Program struct {
	plan  *function
	nmemo int // rules of input and data only, memoized per evaluation
}

// capabilities are what built-ins see when the evaluation names none.
var capabilities = sync.OnceValue(func() *ast.Capabilities { return ast.CapabilitiesForThisVersion() })

// Errors that abort evaluation, as topdown reports them.
var (
	errConflict  = &topdown.Error{Code: topdown.ConflictErr, Message: "complete rules must not produce multiple outputs"}
	errObjConfl  = &topdown.Error{Code: topdown.ConflictErr, Message: "object keys must be unique"}
	errMergeType = &topdown.Error{Code: topdown.ConflictErr, Message: "cannot merge non-object values"}
)

// Eval runs the plan on input and returns the result set: a set of objects
// binding the query's variables, as rego.TargetPluginEval requires.
func (p *Program) Eval(ctx context.Context, ectx *rego.EvalContext, rt ast.Value) (_ ast.Value, err error) {
	// A built-in that panics on an input nobody vetted fails this
	// evaluation, not the process.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("planeval: internal error: %v", r)
		}
	}()
	input := ectx.ParsedInput()
	if input == nil {
		if raw := ectx.RawInput(); raw != nil {
			v, err := ast.InterfaceToValue(*raw)
			if err != nil {
				return nil, fmt.Errorf("input: %w", err)
			}
			input = v
		}
	}
	st := &state{
		ctx:     ctx,
		memo:    make([]memoEntry, p.nmemo),
		results: ast.NewSet(),
	}
	st.emit = func(t *ast.Term) error {
		if st.relation {
			st.outs = append(st.outs, t)
		}
		st.out = t
		return nil
	}
	st.bctx = topdown.BuiltinContext{
		Context:                     ctx,
		Metrics:                     ectx.Metrics(),
		Seed:                        ectx.Seed(),
		Cancel:                      ectx.ExternalCancel(),
		Cache:                       builtins.Cache{},
		InterQueryBuiltinCache:      ectx.InterQueryBuiltinCache(),
		InterQueryBuiltinValueCache: ectx.InterQueryBuiltinValueCache(),
		NDBuiltinCache:              ectx.NDBCache(),
		PrintHook:                   ectx.PrintHook(),
		Capabilities:                ectx.Capabilities(),
	}
	if st.bctx.Metrics == nil {
		st.bctx.Metrics = metrics.New()
	}
	if st.bctx.Capabilities == nil {
		st.bctx.Capabilities = capabilities()
	}
	// time.now_ns is the same for the whole evaluation, as in topdown.
	now := ectx.Time()
	if now.IsZero() {
		now = time.Now()
	}
	st.bctx.Time = ast.NewTerm(ast.Number(strconv.FormatInt(now.UnixNano(), 10)))
	if rt != nil {
		st.bctx.Runtime = ast.NewTerm(rt)
	}
	frame := make([]*ast.Term, p.plan.nlocals)
	if input != nil {
		frame[ir.Input] = ast.NewTerm(input)
	}
	frame[ir.Data] = ast.NewTerm(ast.NewObject())
	for _, b := range p.plan.blocks {
		r := b.exec(st, frame)
		if r == abort {
			return nil, st.err
		}
		if r == ret {
			break
		}
	}
	return st.results, nil
}

// state is one evaluation.
type state struct {
	ctx     context.Context
	bctx    topdown.BuiltinContext
	memo    []memoEntry
	results ast.Set
	err     error
	retval  *ast.Term // set by ReturnLocalStmt
	steps   int

	// A built-in call's operands and outputs (see callBuiltinStmt).
	ops      []*ast.Term
	out      *ast.Term
	outs     []*ast.Term
	relation bool
	emit     func(*ast.Term) error
}

type memoEntry struct {
	done  bool
	value *ast.Term
}

// fail records err and aborts the evaluation.
func (st *state) fail(err error) int {
	st.err = err
	return abort
}

// Result codes of statements and blocks. A code n >= 0 leaves n+1 blocks:
// an undefined statement is 0 (it leaves its own block).
const (
	next  = -1 // the statement held; for a block: it ran to its end
	ret   = -2 // a ReturnLocalStmt ran
	abort = -3 // an error stops the evaluation (st.err)
)

// checkEvery is how many scan iterations and calls pass between context
// checks, so that a cancelled scan stops without a check per step.
const checkEvery = 1 << 12

func (st *state) tick() bool {
	st.steps++
	if st.steps%checkEvery != 0 {
		return true
	}
	if err := st.ctx.Err(); err != nil {
		st.err = &topdown.Error{Code: topdown.CancelErr, Message: "caller cancelled query execution"}
		return false
	}
	return true
}

// errHalt reports whether a built-in's error stops evaluation rather than
// making the call undefined (topdown's non-strict mode).
func errHalt(err error) bool {
	var h topdown.Halt
	return errors.As(err, &h)
}
