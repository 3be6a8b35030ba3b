package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
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
