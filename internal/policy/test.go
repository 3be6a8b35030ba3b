package policy

import (
	"context"
	"fmt"
	"io"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestSummary counts Rego test results.
type TestSummary struct {
	Passed, Failed, Errors, Skipped int
}

// RunTests runs the *_test.rego files in dirs (or, with no dirs, the bundled
// policies' tests) like `opa test`. The bundled helper libraries (lib.*) are
// always loaded, so user policies can import data.lib.kubernetes.
func RunTests(ctx context.Context, w io.Writer, dirs []string, verbose bool) (TestSummary, error) {
	var sum TestSummary
	mods, err := loadModules(loadOptions{builtin: true, builtinTests: len(dirs) == 0, dirTests: true, dirs: dirs})
	if err != nil {
		return sum, err
	}
	byName := map[string]*ast.Module{}
	for _, m := range mods {
		byName[m.name] = m.mod
	}
	store := inmem.New()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return sum, err
	}
	defer store.Abort(ctx, txn)
	compiler := ast.NewCompiler().WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(byName).
		EnableTracing(verbose).
		RunTests(ctx, txn)
	if err != nil {
		return sum, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	var results []*tester.Result
	for r := range ch {
		switch {
		case r.Error != nil:
			sum.Errors++
		case r.Skip:
			sum.Skipped++
		case r.Fail:
			sum.Failed++
		default:
			sum.Passed++
		}
		results = append(results, r)
	}
	rep := tester.PrettyReporter{Output: w, Verbose: verbose, FailureLine: true}
	out := make(chan *tester.Result, len(results))
	for _, r := range results {
		out <- r
	}
	close(out)
	if err := rep.Report(out); err != nil {
		return sum, err
	}
	return sum, nil
}
