package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTLSFingerprint(t *testing.T) {
	pcap := filepath.Join(repoRoot, "..", "shared", "testdata", "ja4", "pcap", "tls12.pcap")
	if _, err := os.Stat(pcap); err != nil {
		t.Skipf("JA4 reference captures not found (see ../shared/testdata/README.md): %v", err)
	}
	out := filepath.Join(t.TempDir(), "hellos.jsonl")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		file     string // read output from here instead of stdout
	}{
		{name: "stdout", args: []string{"tls", "fingerprint", "--pcap", pcap}},
		{name: "output file", args: []string{"tls", "fingerprint", "--pcap", pcap, "-o", out}, file: out},
		{name: "missing --pcap", args: []string{"tls", "fingerprint"}, wantCode: 2},
		{name: "missing file", args: []string{"tls", "fingerprint", "--pcap", filepath.Join(t.TempDir(), "none.pcap")}, wantCode: 3},
		{name: "not a capture", args: []string{"tls", "fingerprint", "--pcap", filepath.Join(repoRoot, "go.mod")}, wantCode: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if tt.wantCode != 0 {
				return
			}
			if tt.file != "" {
				b, err := os.ReadFile(tt.file)
				if err != nil {
					t.Fatal(err)
				}
				stdout = string(b)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1:\n%s", len(lines), stdout)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
				t.Fatal(err)
			}
			// Values from the JA4 reference output for this capture.
			want := map[string]any{
				"stream": 0.0, "src": "192.168.133.129", "dst": "34.117.237.239",
				"srcport": 36372.0, "dstport": 443.0, "sni": "contile.services.mozilla.com",
				"ja4": "t13d1715h2_5b57614c22b0_3d5424432f57",
				// Firefox's widely published JA3.
				"ja3_hash": "579ccef312d18482fc42e2b822ca2430",
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					delete(got, k)
				}
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("line (-got +want):\n%s", diff)
			}
		})
	}
}
