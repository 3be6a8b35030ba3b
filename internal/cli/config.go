package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// applyConfig fills flags the user did not set from, in order of
// precedence: RAMPART_<FLAG> environment variables, then the --config file.
// Command-line flags always win.
func applyConfig(cmd *cobra.Command) error {
	fileVals := map[string]any{}
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		src, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := yaml.Unmarshal(src, &fileVals); err != nil {
			return fmt.Errorf("config file %s: %w", p, err)
		}
		for k := range fileVals {
			if cmd.Flags().Lookup(k) == nil {
				return fmt.Errorf("config file %s: unknown key %q (keys are the flag names of %q)", p, k, cmd.CommandPath())
			}
		}
	}
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "config" || f.Name == "help" {
			return
		}
		envName := "RAMPART_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(envName); ok {
			if e := cmd.Flags().Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", envName, e)
			}
			return
		}
		v, ok := fileVals[f.Name]
		if !ok {
			return
		}
		vals := []any{v}
		if list, isList := v.([]any); isList {
			vals = list
		}
		for _, item := range vals {
			if e := cmd.Flags().Set(f.Name, fmt.Sprint(item)); e != nil {
				err = fmt.Errorf("config key %s: %w", f.Name, e)
				return
			}
		}
	})
	return err
}
