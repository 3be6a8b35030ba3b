// Package policies holds Rampart's bundled Rego policies, embedded into the
// binary so that a scan needs no files or network.
package policies

import "embed"

// FS is the tree of bundled policies: lib/ (helpers), kubernetes/,
// kubernetes_set/ and dockerfile/. Test files (*_test.rego) and testdata/ are
// included so that `rampart policies test` and the Go tests can use them; the
// engine skips them when it loads policies for a scan.
//
//go:embed lib kubernetes kubernetes_set dockerfile
var FS embed.FS
