//go:build gatewayonly

package cli

import "github.com/spf13/cobra"

// edition marks the gateway-only build (go build -tags gatewayonly, or
// make build-gateway): the same `rampart gateway` and `rampart tls`
// commands without the scanners, the policy engine and their dependencies
// (Helm, client-go, osv-scalibr, gitleaks, OPA). It is for the edge, where
// the full binary's size costs memory: every page of the executable that
// start-up touches stays resident, 58-98 MB for the full 168 MB binary
// against 19 MB for this 35 MB one (docs/benchmarks.md).
const edition = "gateway-only"

// commands are the top-level commands of the gateway-only build.
func commands(e *env) []*cobra.Command {
	return []*cobra.Command{newGatewayCmd(e), newTLSCmd(e)}
}
