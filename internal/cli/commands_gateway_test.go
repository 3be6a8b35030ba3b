//go:build gatewayonly

package cli_test

import "testing"

// TestGatewayOnlyBuild checks what the gateway-only build leaves out and
// how it says so; the gateway and tls tests run in both builds.
func TestGatewayOnlyBuild(t *testing.T) {
	tests := []cliCase{
		{"version names the build", []string{"--version"}, 0, "(gateway-only build)", ""},
		{"no scanners", []string{"scan", "config", "examples/clean"}, 2, "", `unknown command "scan"`},
		{"gateway present", []string{"gateway", "validate", "-c", "examples/gateway/minimal.yaml"}, 0, "valid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}
