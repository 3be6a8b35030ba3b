package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/cli"
)

// repoRoot is where a user runs rampart from in these tests.
var repoRoot, _ = filepath.Abs("../..")

// run executes the CLI from the repository root, as a user would.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Chdir(repoRoot)
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// cliCase is one command line and what it must return and print (the
// substrings wantOut and wantErr).
type cliCase struct {
	name     string
	args     []string
	wantCode int
	wantOut  string
	wantErr  string
}

func (c cliCase) check(t *testing.T) {
	t.Helper()
	code, out, errOut := run(t, nil, c.args...)
	if code != c.wantCode {
		t.Errorf("exit code = %d, want %d (stderr %s)", code, c.wantCode, errOut)
	}
	if !strings.Contains(out, c.wantOut) {
		t.Errorf("stdout = %q, want %q", out, c.wantOut)
	}
	if !strings.Contains(errOut, c.wantErr) {
		t.Errorf("stderr = %q, want %q", errOut, c.wantErr)
	}
}
