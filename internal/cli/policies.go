package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/policy"
)

func newPoliciesCmd(e *env) *cobra.Command {
	var dirs, namespaces []string
	var allNamespaces bool
	load := func(cmd *cobra.Command) (*policy.Engine, error) {
		eng, err := policy.Load(cmd.Context(), policy.Options{Dirs: dirs, Namespaces: namespaces, AllNamespaces: allNamespaces, Logger: e.log})
		if err != nil {
			return nil, usageError(err)
		}
		return eng, nil
	}
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "List, show and test policies",
	}
	cmd.PersistentFlags().StringSliceVarP(&dirs, "policy", "p", nil, "directory or file of extra Rego policies (repeatable)")
	cmd.PersistentFlags().StringSliceVarP(&namespaces, "namespace", "n", nil, "Conftest package to load (repeatable; default main)")
	cmd.PersistentFlags().BoolVar(&allNamespaces, "all-namespaces", false, "load deny/warn/violation rules of every user package")

	var format string
	list := &cobra.Command{
		Use:   "list",
		Short: "List bundled and loaded policies with their metadata",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, err := load(cmd)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return writeJSONTo(e, map[string]any{"schema_version": 1, "policies": eng.Rules()})
			case "table":
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tINPUT\tTITLE\tCONTROLS")
				for _, r := range eng.Rules() {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Input, r.Title, strings.Join(r.Controls, ", "))
				}
				return tw.Flush()
			}
			return usageError(fmt.Errorf("--format %q: want table or json", format))
		},
	}
	list.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")

	var showFormat string
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one policy's metadata",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, err := load(cmd)
			if err != nil {
				return err
			}
			r := eng.Rule(args[0])
			if r == nil {
				return usageError(fmt.Errorf("no policy with id %q (see rampart policies list)", args[0]))
			}
			if showFormat == "json" {
				return writeJSONTo(e, r)
			}
			w := e.stdout
			fmt.Fprintf(w, "%s: %s\n\n", r.ID, r.Title)
			fmt.Fprintf(w, "Severity:    %s\nLayer:       %s\nInput:       %s\n", r.Severity, r.Layer, r.Input)
			if len(r.Kinds) > 0 {
				fmt.Fprintf(w, "Kinds:       %s\n", strings.Join(r.Kinds, ", "))
			}
			fmt.Fprintf(w, "Controls:    %s\nPackage:     %s\nSource:      %s\n", strings.Join(r.Controls, ", "), r.Package, r.Source)
			if r.Description != "" {
				fmt.Fprintf(w, "\n%s\n", r.Description)
			}
			if r.Remediation != "" {
				fmt.Fprintf(w, "\nRemediation: %s\n", r.Remediation)
			}
			for i, ref := range r.References {
				if i == 0 {
					fmt.Fprintln(w, "\nReferences:")
				}
				fmt.Fprintf(w, "  %s\n", ref)
			}
			return nil
		},
	}
	show.Flags().StringVarP(&showFormat, "format", "f", "text", "output format: text or json")

	var verbose bool
	test := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run *_test.rego files like opa test (the bundled tests with no DIR)",
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := policy.RunTests(cmd.Context(), e.stdout, args, verbose)
			if err != nil {
				return usageError(err)
			}
			if sum.Failed+sum.Errors > 0 {
				return &exitError{code: ExitFindings, err: fmt.Errorf("%d of %d tests failed", sum.Failed+sum.Errors, sum.Passed+sum.Failed+sum.Errors)}
			}
			if sum.Passed == 0 {
				return usageError(fmt.Errorf("no tests found in %s", strings.Join(args, ", ")))
			}
			return nil
		},
	}
	test.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every test and its trace on failure")
	cmd.AddCommand(list, show, test)
	return cmd
}

func writeJSONTo(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
