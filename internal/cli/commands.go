//go:build !gatewayonly

package cli

import "github.com/spf13/cobra"

// edition is empty in the full build; see commands_gateway.go.
const edition = ""

// commands are the top-level commands of the full build.
func commands(e *env) []*cobra.Command {
	return []*cobra.Command{newScanCmd(e), newSBOMCmd(e), newDBCmd(e), newPoliciesCmd(e), newGatewayCmd(e), newTLSCmd(e)}
}
