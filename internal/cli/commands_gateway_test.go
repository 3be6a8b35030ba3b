//go:build gatewayonly

package cli_test

import (
	"strings"
	"testing"
)

// TestGatewayOnlyBuild checks what the gateway-only build leaves out and
// how it says so; the gateway and tls tests run in both builds.
func TestGatewayOnlyBuild(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"version names the build", []string{"--version"}, 0, "(gateway-only build)", ""},
		{"no scanners", []string{"scan", "config", "examples/clean"}, 2, "", `unknown command "scan"`},
		{"gateway present", []string{"gateway", "validate", "-c", "examples/gateway/minimal.yaml"}, 0, "valid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("rampart %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					strings.Join(tt.args, " "), code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}
