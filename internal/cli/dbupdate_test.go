//go:build !gatewayonly

package cli_test

import "testing"

// updateDB fills a database from the test mirror through the CLI, as a
// user would.
func updateDB(t *testing.T, url, dir string) {
	t.Helper()
	code, _, stderr := run(t, nil, "db", "update", "--db-dir", dir, "--db-url", url, "--ecosystems", "Go,npm,PyPI")
	if code != 0 {
		t.Fatalf("db update: exit %d: %s", code, stderr)
	}
}
