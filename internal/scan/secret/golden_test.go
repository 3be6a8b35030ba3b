package secret

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden pins the whole shape of secret findings (ids, severities,
// messages, redaction, fingerprints) in testdata/findings.golden.json.
func TestGolden(t *testing.T) {
	fk := newFakes(11)
	s := defaultScanner(t)
	var all []finding.Finding
	for _, f := range []struct{ path, content string }{
		{"deploy/values.yaml", "aws:\n  region: eu-west-1\n  accessKeyId: " + fk.AWSKey + "\n"},
		{"scripts/release.sh", "#!/bin/sh\nexport GITHUB_TOKEN=" + fk.GitHubToken + "\n"},
		{"certs/server.key", fk.PrivateKey},
	} {
		fs, err := s.Analyze(context.Background(), memFile(f.path, f.content))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fs...)
	}
	finding.Sort(all)
	got, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "findings.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("findings differ from %s (-got +want):\n%s", golden, diff)
	}
}
