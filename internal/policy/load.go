package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/rampart-sec/rampart/policies"
)

// ErrInvalidPolicy wraps every problem with a policy file: a parse or compile
// error, missing metadata, a duplicate id. The CLI exits 2 on it.
var ErrInvalidPolicy = errors.New("invalid policy")

// maxPolicyFile bounds one .rego file; policies are code, not data.
const maxPolicyFile = 4 << 20

// module is one parsed .rego file.
type module struct {
	name    string // the path shown in messages
	builtin bool
	mod     *ast.Module
}

// loadOptions says which files to read.
type loadOptions struct {
	builtin      bool // the embedded policies
	builtinTests bool // and their *_test.rego files
	dirTests     bool // *_test.rego files of dirs
	dirs         []string
}

// loadModules parses every .rego file of the embedded tree and the given
// directories. It collects every error instead of stopping at the first, so
// that a user fixing policies sees them all at once.
func loadModules(o loadOptions) ([]module, error) {
	var mods []module
	var errs []error
	add := func(fsys fs.FS, root, display string, builtin bool) {
		tests := o.dirTests
		if builtin {
			tests = o.builtinTests
		}
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", path.Join(display, p), err))
				return nil
			}
			if d.IsDir() {
				if p != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".rego") || (!tests && strings.HasSuffix(p, "_test.rego")) {
				return nil
			}
			name := path.Join(display, p)
			if display == "" {
				name = p
			}
			info, err := d.Info()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return nil
			}
			if info.Size() > maxPolicyFile {
				errs = append(errs, fmt.Errorf("%s: %d bytes is over the %d byte limit for a policy file", name, info.Size(), maxPolicyFile))
				return nil
			}
			src, err := fs.ReadFile(fsys, p)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return nil
			}
			m, err := parseModule(name, src, builtin)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			mods = append(mods, module{name: name, builtin: builtin, mod: m})
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if o.builtin {
		add(policies.FS, ".", "builtin:policies", true)
	}
	for _, dir := range o.dirs {
		info, err := os.Stat(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy directory: %w", err))
			continue
		}
		if !info.IsDir() { // a single file
			add(os.DirFS(filepath.Dir(dir)), filepath.Base(dir), filepath.Dir(dir), false)
			continue
		}
		add(os.DirFS(dir), ".", dir, false)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].name < mods[j].name })
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, errors.Join(errs...))
	}
	return mods, nil
}

// parseModule parses Rego v1 and, for user policies, falls back to v0 syntax,
// which most existing Conftest policy repositories are written in. OPA
// compiles v0 and v1 modules together.
func parseModule(name string, src []byte, builtin bool) (*ast.Module, error) {
	opts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
	m, err := ast.ParseModuleWithOpts(name, string(src), opts)
	if err == nil || builtin {
		return m, err
	}
	opts.RegoVersion = ast.RegoV0
	if m0, err0 := ast.ParseModuleWithOpts(name, string(src), opts); err0 == nil {
		return m0, nil
	}
	return nil, err
}
