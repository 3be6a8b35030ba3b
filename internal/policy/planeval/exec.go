package planeval

import (
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// stmt is one translated IR statement. exec returns next, ret, abort, or
// n >= 0 to leave n+1 enclosing blocks (0: the statement is undefined).
type stmt interface {
	exec(st *state, f []*ast.Term) int
}

// exec runs the block and returns next when it ran to its end, ret, abort,
// or n >= 0 when a statement left it with a break of index n (0: this block
// only; the holder of the block decides what larger indexes leave).
func (b *block) exec(st *state, f []*ast.Term) int {
	for _, s := range b.stmts {
		if r := s.exec(st, f); r != next {
			return r
		}
	}
	return next
}

// outer turns the result of a nested block into the result of the
// statement holding it, for statements whose block continues the statement
// when it is left early (BlockStmt's blocks, scan bodies).
func outer(r int) (int, bool) {
	switch {
	case r == next || r == 0:
		return next, false
	case r > 0:
		return r - 1, true
	}
	return r, true // ret, abort
}

type returnStmt struct{ src int }

func (s *returnStmt) exec(st *state, f []*ast.Term) int {
	st.retval = f[s.src]
	return ret
}

type breakStmt struct{ index int }

func (s *breakStmt) exec(*state, []*ast.Term) int { return s.index }

type blockStmt struct{ blocks []*block }

func (s *blockStmt) exec(st *state, f []*ast.Term) int {
	for _, b := range s.blocks {
		if r, stop := outer(b.exec(st, f)); stop {
			return r
		}
	}
	return next
}

type notStmt struct{ body *block }

func (s *notStmt) exec(st *state, f []*ast.Term) int {
	switch r := s.body.exec(st, f); {
	case r == next:
		return 0 // the negated body held
	case r == 0:
		return next
	case r > 0:
		return r - 1
	default:
		return r
	}
}

type scanStmt struct {
	src, key, value int
	body            *block
}

func (s *scanStmt) exec(st *state, f []*ast.Term) int {
	src := f[s.src]
	if src == nil {
		return next
	}
	res := next
	visit := func(k, v *ast.Term) bool {
		if !st.tick() {
			res = abort
			return true
		}
		f[s.key], f[s.value] = k, v
		r, stop := outer(s.body.exec(st, f))
		if stop {
			res = r
		}
		return stop
	}
	switch x := src.Value.(type) {
	case *ast.Array:
		for i := range x.Len() {
			if visit(ast.InternedTerm(i), x.Elem(i)) {
				break
			}
		}
	case ast.Object:
		x.Until(visit)
	case ast.Set:
		x.Until(func(t *ast.Term) bool { return visit(t, t) })
	}
	return res
}

type callFuncStmt struct {
	fn     *function
	args   []operand
	target int
}

func (s *callFuncStmt) exec(st *state, f []*ast.Term) int {
	fn := s.fn
	if fn.memo >= 0 {
		if m := &st.memo[fn.memo]; m.done {
			if m.value == nil {
				return 0
			}
			f[s.target] = m.value
			return next
		}
	}
	if !st.tick() {
		return abort
	}
	frame := make([]*ast.Term, fn.nlocals)
	// An argument may be undefined: the input is when none was given, and
	// rules that do not read it must still evaluate.
	for i, a := range s.args {
		frame[fn.params[i]] = a.get(f)
	}
	v := frame[fn.ret]
	for _, b := range fn.blocks {
		r := b.exec(st, frame)
		if r == abort {
			return abort
		}
		if r == ret {
			v = st.retval
			break
		}
		v = frame[fn.ret]
	}
	if fn.memo >= 0 {
		st.memo[fn.memo] = memoEntry{done: true, value: v}
	}
	if v == nil {
		return 0
	}
	f[s.target] = v
	return next
}

type callBuiltinStmt struct {
	fn       topdown.BuiltinFunc
	args     []operand
	target   int
	relation bool
	void     bool
}

func (s *callBuiltinStmt) exec(st *state, f []*ast.Term) int {
	// Built-ins do not call back into the plan, so one operand buffer and
	// one output callback serve every call of an evaluation.
	ops := st.ops[:0]
	for _, a := range s.args {
		v := a.get(f)
		if v == nil {
			return 0
		}
		ops = append(ops, v)
	}
	st.ops = ops
	st.out, st.outs, st.relation = nil, nil, s.relation
	err := s.fn(st.bctx, ops, st.emit)
	out := st.out
	if s.relation && err == nil {
		out = ast.ArrayTerm(st.outs...)
	}
	clear(ops)
	if err != nil {
		if errHalt(err) {
			return st.fail(err)
		}
		return 0 // undefined, as topdown without strict built-in errors
	}
	if s.void {
		return next
	}
	if out == nil {
		return 0
	}
	f[s.target] = out
	return next
}

type dotStmt struct {
	src, key operand
	target   int
}

func (s *dotStmt) exec(_ *state, f []*ast.Term) int {
	src, key := s.src.get(f), s.key.get(f)
	if src == nil || key == nil {
		return 0
	}
	var v *ast.Term
	switch x := src.Value.(type) {
	case ast.Object:
		v = x.Get(key)
	case *ast.Array:
		v = x.Get(key)
	case ast.Set:
		if x.Contains(key) {
			v = key
		}
	}
	if v == nil {
		return 0
	}
	f[s.target] = v
	return next
}

type lenStmt struct {
	src    operand
	target int
}

func (s *lenStmt) exec(_ *state, f []*ast.Term) int {
	src := s.src.get(f)
	if src == nil {
		return 0
	}
	var n int
	switch x := src.Value.(type) {
	case *ast.Array:
		n = x.Len()
	case ast.Object:
		n = x.Len()
	case ast.Set:
		n = x.Len()
	case ast.String:
		n = utf8.RuneCountInString(string(x))
	default:
		return 0
	}
	f[s.target] = ast.InternedTerm(n)
	return next
}

type assignStmt struct {
	src    operand
	target int
}

// exec copies the source even when it is undefined, as the Wasm target
// does: the planner saves an absent input this way before a with statement
// and restores it after, and later statements that read the local are
// undefined anyway.
func (s *assignStmt) exec(_ *state, f []*ast.Term) int {
	f[s.target] = s.src.get(f)
	return next
}

type assignOnceStmt struct {
	src    operand
	target int
}

func (s *assignOnceStmt) exec(st *state, f []*ast.Term) int {
	v := s.src.get(f)
	if v == nil {
		return 0
	}
	if old := f[s.target]; old != nil {
		if old.Value.Compare(v.Value) != 0 {
			return st.fail(errConflict)
		}
		return next
	}
	f[s.target] = v
	return next
}

// undefinedStmt stands for a call the planner made with fewer arguments
// than the function has parameters (a query that enumerates a package
// reaches its functions as if they were rules): topdown skips functions
// there, so the call is undefined.
type undefinedStmt struct{}

func (undefinedStmt) exec(*state, []*ast.Term) int { return 0 }

type resetStmt struct{ target int }

func (s *resetStmt) exec(_ *state, f []*ast.Term) int {
	f[s.target] = nil
	return next
}

type makeArrayStmt struct{ capacity, target int }

func (s *makeArrayStmt) exec(_ *state, f []*ast.Term) int {
	f[s.target] = ast.NewTerm(ast.NewArrayWithCapacity(s.capacity))
	return next
}

type makeObjectStmt struct{ target int }

func (s *makeObjectStmt) exec(_ *state, f []*ast.Term) int {
	f[s.target] = ast.NewTerm(ast.NewObject())
	return next
}

type makeSetStmt struct{ target int }

func (s *makeSetStmt) exec(_ *state, f []*ast.Term) int {
	f[s.target] = ast.NewTerm(ast.NewSet())
	return next
}

type equalStmt struct {
	a, b   operand
	negate bool
}

func (s *equalStmt) exec(_ *state, f []*ast.Term) int {
	a, b := s.a.get(f), s.b.get(f)
	if a == nil || b == nil {
		return 0
	}
	if (a.Value.Compare(b.Value) == 0) != s.negate {
		return next
	}
	return 0
}

type typeCheck int

const (
	isArray typeCheck = iota
	isObject
	isSet
)

type isTypeStmt struct {
	src  operand
	want typeCheck
}

func (s *isTypeStmt) exec(_ *state, f []*ast.Term) int {
	v := s.src.get(f)
	if v == nil {
		return 0
	}
	var ok bool
	switch v.Value.(type) {
	case *ast.Array:
		ok = s.want == isArray
	case ast.Object:
		ok = s.want == isObject
	case ast.Set:
		ok = s.want == isSet
	}
	if ok {
		return next
	}
	return 0
}

type definedStmt struct {
	src  int
	want bool
}

func (s *definedStmt) exec(_ *state, f []*ast.Term) int {
	if (f[s.src] != nil) == s.want {
		return next
	}
	return 0
}

type arrayAppendStmt struct {
	value operand
	array int
}

func (s *arrayAppendStmt) exec(_ *state, f []*ast.Term) int {
	v, a := s.value.get(f), f[s.array]
	if v == nil || a == nil {
		return 0
	}
	arr, ok := a.Value.(*ast.Array)
	if !ok {
		return 0
	}
	f[s.array] = ast.NewTerm(arr.Append(v))
	return next
}

type objectInsertStmt struct {
	key, value operand
	object     int
	once       bool
}

func (s *objectInsertStmt) exec(st *state, f []*ast.Term) int {
	k, v, o := s.key.get(f), s.value.get(f), f[s.object]
	if k == nil || v == nil || o == nil {
		return 0
	}
	obj, ok := o.Value.(ast.Object)
	if !ok {
		return 0
	}
	if s.once {
		if old := obj.Get(k); old != nil {
			if old.Value.Compare(v.Value) != 0 {
				return st.fail(errObjConfl)
			}
			return next
		}
	}
	obj.Insert(k, v)
	return next
}

type objectMergeStmt struct{ a, b, target int }

func (s *objectMergeStmt) exec(st *state, f []*ast.Term) int {
	a, b := f[s.a], f[s.b]
	if a == nil || b == nil {
		return 0
	}
	oa, ok1 := a.Value.(ast.Object)
	ob, ok2 := b.Value.(ast.Object)
	if !ok1 || !ok2 {
		return st.fail(errMergeType)
	}
	m, ok := oa.Merge(ob)
	if !ok {
		return st.fail(errMergeType)
	}
	f[s.target] = ast.NewTerm(m)
	return next
}

type setAddStmt struct {
	value operand
	set   int
}

func (s *setAddStmt) exec(_ *state, f []*ast.Term) int {
	v, t := s.value.get(f), f[s.set]
	if v == nil || t == nil {
		return 0
	}
	set, ok := t.Value.(ast.Set)
	if !ok {
		return 0
	}
	set.Add(v)
	return next
}

type resultAddStmt struct{ src int }

func (s *resultAddStmt) exec(st *state, f []*ast.Term) int {
	if v := f[s.src]; v != nil {
		st.results.Add(v)
	}
	return next
}

// withStmt replaces a local, or the value at a path inside it, while its
// block runs, with a fresh memo: rules computed under the replacement must
// not be reused outside it, nor the other way round.
type withStmt struct {
	local int
	path  []*ast.Term
	value operand
	body  *block
}

func (s *withStmt) exec(st *state, f []*ast.Term) int {
	v := s.value.get(f)
	if v == nil && len(s.path) > 0 {
		return 0
	}
	saved, savedMemo := f[s.local], st.memo
	st.memo = make([]memoEntry, len(savedMemo))
	if len(s.path) == 0 {
		f[s.local] = v
	} else {
		f[s.local] = upsert(saved, s.path, v)
	}
	r := s.body.exec(st, f)
	f[s.local], st.memo = saved, savedMemo
	switch {
	case r == next:
		return next
	case r == 0:
		return 0
	case r > 0:
		return r - 1
	}
	return r
}

// upsert returns a copy of doc with path set to v, creating objects along
// the path as needed; doc itself is left as it was.
func upsert(doc *ast.Term, path []*ast.Term, v *ast.Term) *ast.Term {
	if len(path) == 0 {
		return v
	}
	// Shallow copies along the path: values off the path are shared.
	obj := ast.NewObject()
	if doc != nil {
		if o, ok := doc.Value.(ast.Object); ok {
			o.Foreach(func(k, v *ast.Term) { obj.Insert(k, v) })
		}
	}
	obj.Insert(path[0], upsert(obj.Get(path[0]), path[1:], v))
	return ast.NewTerm(obj)
}
