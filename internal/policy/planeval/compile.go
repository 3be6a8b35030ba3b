package planeval

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// function is a planned function (a rule or a Rego function) or the plan
// itself, with its calls resolved.
type function struct {
	params  []int
	ret     int
	blocks  []*block
	nlocals int
	memo    int // index into state.memo for rules of input and data only; -1 otherwise
}

type block struct{ stmts []stmt }

// operand is a local, or a constant when local < 0.
type operand struct {
	local int
	term  *ast.Term
}

func (o operand) get(f []*ast.Term) *ast.Term {
	if o.local >= 0 {
		return f[o.local]
	}
	return o.term
}

// compiler translates one ir.Policy.
type compiler struct {
	strs   []*ast.Term
	funcs  map[string]*function
	custom map[string]topdown.BuiltinFunc
	cur    *function // function being translated, for nlocals
	prog   *Program
}

// Compile translates a plan with exactly one query plan. custom holds
// built-ins registered with rego.Function*, which take precedence over
// topdown's.
func Compile(pol *ir.Policy, custom map[string]topdown.BuiltinFunc) (*Program, error) {
	if pol.Plans == nil || len(pol.Plans.Plans) != 1 {
		return nil, fmt.Errorf("planeval: want one plan, got %d", plansLen(pol))
	}
	c := &compiler{funcs: map[string]*function{}, custom: custom, prog: &Program{}}
	if pol.Static != nil {
		for _, s := range pol.Static.Strings {
			c.strs = append(c.strs, ast.StringTerm(s.Value))
		}
	}
	// Declare every function first: calls may precede their callee.
	if pol.Funcs != nil {
		for _, f := range pol.Funcs.Funcs {
			fn := &function{ret: int(f.Return), memo: -1}
			for _, p := range f.Params {
				fn.params = append(fn.params, int(p))
			}
			if len(f.Params) == 2 {
				fn.memo = c.prog.nmemo
				c.prog.nmemo++
			}
			c.funcs[f.Name] = fn
		}
		for _, f := range pol.Funcs.Funcs {
			fn := c.funcs[f.Name]
			c.cur = fn
			fn.nlocals = max(fn.ret, maxSlice(fn.params)) + 1
			bs, err := c.blocks(f.Blocks)
			if err != nil {
				return nil, fmt.Errorf("planeval: function %s: %w", f.Name, err)
			}
			fn.blocks = bs
		}
	}
	plan := pol.Plans.Plans[0]
	c.cur = &function{memo: -1, nlocals: int(ir.Unused)}
	bs, err := c.blocks(plan.Blocks)
	if err != nil {
		return nil, fmt.Errorf("planeval: plan %s: %w", plan.Name, err)
	}
	c.cur.blocks = bs
	c.prog.plan = c.cur
	return c.prog, nil
}

func plansLen(pol *ir.Policy) int {
	if pol.Plans == nil {
		return 0
	}
	return len(pol.Plans.Plans)
}

func maxSlice(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// local records a local's use so that frames are large enough.
func (c *compiler) local(l ir.Local) int {
	i := int(l)
	if i+1 > c.cur.nlocals {
		c.cur.nlocals = i + 1
	}
	return i
}

func (c *compiler) operand(o ir.Operand) (operand, error) {
	switch v := o.Value.(type) {
	case ir.Local:
		return operand{local: c.local(v)}, nil
	case ir.StringIndex:
		if int(v) < 0 || int(v) >= len(c.strs) {
			return operand{}, fmt.Errorf("string index %d out of range", v)
		}
		return operand{local: -1, term: c.strs[v]}, nil
	case ir.Bool:
		return operand{local: -1, term: ast.InternedTerm(bool(v))}, nil
	}
	return operand{}, fmt.Errorf("unknown operand %T", o.Value)
}

func (c *compiler) operands(os []ir.Operand) ([]operand, error) {
	out := make([]operand, len(os))
	for i, o := range os {
		var err error
		if out[i], err = c.operand(o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pair translates the two operands of a statement.
func (c *compiler) pair(a, b ir.Operand) (operand, operand, error) {
	ops, err := c.operands([]ir.Operand{a, b})
	if err != nil {
		return operand{}, operand{}, err
	}
	return ops[0], ops[1], nil
}

func (c *compiler) blocks(bs []*ir.Block) ([]*block, error) {
	out := make([]*block, len(bs))
	for i, b := range bs {
		var err error
		if out[i], err = c.block(b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *compiler) block(b *ir.Block) (*block, error) {
	out := &block{stmts: make([]stmt, 0, len(b.Stmts))}
	for _, s := range b.Stmts {
		t, err := c.stmt(s)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out.stmts = append(out.stmts, t)
		}
	}
	return out, nil
}

//nolint:gocyclo // one case per IR statement
func (c *compiler) stmt(s ir.Stmt) (stmt, error) {
	switch s := s.(type) {
	case *ir.NopStmt:
		return nil, nil
	case *ir.ReturnLocalStmt:
		return &returnStmt{src: c.local(s.Source)}, nil
	case *ir.CallStmt:
		return c.call(s)
	case *ir.BlockStmt:
		bs, err := c.blocks(s.Blocks)
		return &blockStmt{blocks: bs}, err
	case *ir.BreakStmt:
		return &breakStmt{index: int(s.Index)}, nil
	case *ir.DotStmt:
		src, key, err := c.pair(s.Source, s.Key)
		return &dotStmt{src: src, key: key, target: c.local(s.Target)}, err
	case *ir.LenStmt:
		src, err := c.operand(s.Source)
		return &lenStmt{src: src, target: c.local(s.Target)}, err
	case *ir.ScanStmt:
		body, err := c.block(s.Block)
		return &scanStmt{src: c.local(s.Source), key: c.local(s.Key), value: c.local(s.Value), body: body}, err
	case *ir.NotStmt:
		body, err := c.block(s.Block)
		return &notStmt{body: body}, err
	case *ir.AssignIntStmt:
		return &assignStmt{src: operand{local: -1, term: ast.InternedTerm(int(s.Value))}, target: c.local(s.Target)}, nil
	case *ir.AssignVarStmt:
		src, err := c.operand(s.Source)
		return &assignStmt{src: src, target: c.local(s.Target)}, err
	case *ir.AssignVarOnceStmt:
		src, err := c.operand(s.Source)
		return &assignOnceStmt{src: src, target: c.local(s.Target)}, err
	case *ir.ResetLocalStmt:
		return &resetStmt{target: c.local(s.Target)}, nil
	case *ir.MakeNullStmt:
		return &assignStmt{src: operand{local: -1, term: ast.InternedNullTerm}, target: c.local(s.Target)}, nil
	case *ir.MakeNumberIntStmt:
		return &assignStmt{src: operand{local: -1, term: ast.InternedTerm(int(s.Value))}, target: c.local(s.Target)}, nil
	case *ir.MakeNumberRefStmt:
		if s.Index < 0 || s.Index >= len(c.strs) {
			return nil, fmt.Errorf("number string index %d out of range", s.Index)
		}
		n := ast.NewTerm(ast.Number(c.strs[s.Index].Value.(ast.String)))
		return &assignStmt{src: operand{local: -1, term: n}, target: c.local(s.Target)}, nil
	case *ir.MakeArrayStmt:
		return &makeArrayStmt{capacity: int(s.Capacity), target: c.local(s.Target)}, nil
	case *ir.MakeObjectStmt:
		return &makeObjectStmt{target: c.local(s.Target)}, nil
	case *ir.MakeSetStmt:
		return &makeSetStmt{target: c.local(s.Target)}, nil
	case *ir.EqualStmt:
		a, b, err := c.pair(s.A, s.B)
		return &equalStmt{a: a, b: b}, err
	case *ir.NotEqualStmt:
		a, b, err := c.pair(s.A, s.B)
		return &equalStmt{a: a, b: b, negate: true}, err
	case *ir.IsArrayStmt:
		src, err := c.operand(s.Source)
		return &isTypeStmt{src: src, want: isArray}, err
	case *ir.IsObjectStmt:
		src, err := c.operand(s.Source)
		return &isTypeStmt{src: src, want: isObject}, err
	case *ir.IsSetStmt:
		src, err := c.operand(s.Source)
		return &isTypeStmt{src: src, want: isSet}, err
	case *ir.IsDefinedStmt:
		return &definedStmt{src: c.local(s.Source), want: true}, nil
	case *ir.IsUndefinedStmt:
		return &definedStmt{src: c.local(s.Source), want: false}, nil
	case *ir.ArrayAppendStmt:
		v, err := c.operand(s.Value)
		return &arrayAppendStmt{value: v, array: c.local(s.Array)}, err
	case *ir.ObjectInsertStmt:
		k, v, err := c.pair(s.Key, s.Value)
		return &objectInsertStmt{key: k, value: v, object: c.local(s.Object)}, err
	case *ir.ObjectInsertOnceStmt:
		k, v, err := c.pair(s.Key, s.Value)
		return &objectInsertStmt{key: k, value: v, object: c.local(s.Object), once: true}, err
	case *ir.ObjectMergeStmt:
		return &objectMergeStmt{a: c.local(s.A), b: c.local(s.B), target: c.local(s.Target)}, nil
	case *ir.SetAddStmt:
		v, err := c.operand(s.Value)
		return &setAddStmt{value: v, set: c.local(s.Set)}, err
	case *ir.WithStmt:
		return c.with(s)
	case *ir.ResultSetAddStmt:
		return &resultAddStmt{src: c.local(s.Value)}, nil
	}
	// CallDynamicStmt (calls through non-constant data references) and
	// anything newer: the engine falls back to topdown for the query.
	return nil, fmt.Errorf("unsupported statement %T", s)
}

func (c *compiler) call(s *ir.CallStmt) (stmt, error) {
	args, err := c.operands(s.Args)
	if err != nil {
		return nil, err
	}
	target := c.local(s.Result)
	if fn, ok := c.funcs[s.Func]; ok {
		if len(args) < len(fn.params) {
			return undefinedStmt{}, nil
		}
		if len(args) != len(fn.params) {
			return nil, fmt.Errorf("call %s: %d arguments for %d parameters", s.Func, len(args), len(fn.params))
		}
		return &callFuncStmt{fn: fn, args: args, target: target}, nil
	}
	bf := c.custom[s.Func]
	if bf == nil {
		bf = topdown.GetBuiltin(s.Func)
	}
	if bf == nil {
		return nil, fmt.Errorf("unknown built-in %q", s.Func)
	}
	// A relation (walk) yields many outputs; its plan scans the array of them.
	// A built-in without a result (print) holds whenever it succeeds.
	relation, void := false, false
	if b, ok := ast.BuiltinMap[s.Func]; ok {
		relation = b.Relation
		void = b.Decl != nil && b.Decl.Result() == nil
	}
	return &callBuiltinStmt{fn: bf, args: args, target: target, relation: relation, void: void}, nil
}

func (c *compiler) with(s *ir.WithStmt) (stmt, error) {
	v, err := c.operand(s.Value)
	if err != nil {
		return nil, err
	}
	body, err := c.block(s.Block)
	if err != nil {
		return nil, err
	}
	path := make([]*ast.Term, len(s.Path))
	for i, idx := range s.Path {
		if idx < 0 || idx >= len(c.strs) {
			return nil, fmt.Errorf("with path string index %d out of range", idx)
		}
		path[i] = c.strs[idx]
	}
	return &withStmt{local: c.local(s.Local), path: path, value: v, body: body}, nil
}
