package cli_test

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGatewayValidate(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("listen:\n  - address: \"127.0.0.1:8080\"\n    tls: { cert_file: x }\nroutes: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []cliCase{
		{"example is valid", []string{"gateway", "validate", "-c", "examples/gateway/minimal.yaml"}, 0, "valid (2 listeners, 1 routes)", ""},
		{"unknown key with line", []string{"gateway", "validate", "-c", bad}, 2, "", `bad.yaml:5: unknown key "bogus"`},
		{"missing -c", []string{"gateway", "validate"}, 2, "", "-c FILE is required"},
		{"missing file", []string{"gateway", "validate", "-c", "nope.yaml"}, 2, "", "nope.yaml"},
		{"run without -c", []string{"gateway"}, 2, "", "-c FILE is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}
