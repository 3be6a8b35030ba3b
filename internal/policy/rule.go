package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/rampart-sec/rampart/internal/finding"
)

// Input kinds: each names a group of policies that take the same input.
// A policy's kind is the package segment after "rampart."
// (package rampart.kubernetes.privileged → "kubernetes").
const (
	KindKubernetes    = "kubernetes"     // one Kubernetes manifest
	KindKubernetesSet = "kubernetes_set" // the whole scanned set of manifests
	KindDockerfile    = "dockerfile"     // one parsed Dockerfile
	// KindConftest groups Conftest-style policies (deny/warn/violation rules
	// in package main or --namespace). They see Conftest's input shapes.
	KindConftest = "conftest"
)

// WorkloadKinds are the resource kinds that carry a pod spec. The metadata
// value "workload" in a policy's kinds list stands for all of them.
var WorkloadKinds = []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}

// Rule is one policy's metadata: what it checks and how to fix it.
type Rule struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Description string           `json:"description,omitempty"`
	Severity    finding.Severity `json:"severity"`
	Layer       finding.Layer    `json:"layer,omitempty"`
	Input       string           `json:"input"`
	Kinds       []string         `json:"kinds,omitempty"`
	Controls    []string         `json:"controls"`
	Remediation string           `json:"remediation,omitempty"`
	References  []string         `json:"references,omitempty"`
	Package     string           `json:"package"`
	// Source is the file the policy came from ("builtin:" for bundled ones).
	Source string `json:"source"`
	// Builtin is true for policies embedded in the binary.
	Builtin bool `json:"builtin"`

	// decision is the rule evaluated for findings (deny, warn, violation...).
	decision string
	// partialSet is true when decision is a partial set rule.
	partialSet bool
}

// AppliesTo reports whether the rule checks resources of the given kind. A
// rule without a kinds list applies to everything of its input.
func (r *Rule) AppliesTo(kind string) bool {
	if len(r.Kinds) == 0 {
		return true
	}
	for _, k := range r.Kinds {
		if k == kind || (k == "workload" && slices.Contains(WorkloadKinds, kind)) {
			return true
		}
	}
	return false
}

// ruleFromAnnotations reads a Rampart policy's metadata from its package
// annotation and checks that every required field is there.
func ruleFromAnnotations(pkg string, a *ast.Annotations) (*Rule, error) {
	if a == nil {
		return nil, fmt.Errorf("package %s has no METADATA annotation (title and custom.id, severity, layer are required)", pkg)
	}
	r := &Rule{Title: a.Title, Description: strings.TrimSpace(a.Description), Package: pkg}
	for _, rr := range a.RelatedResources {
		r.References = append(r.References, rr.Ref.String())
	}
	c := a.Custom
	var err error
	if r.ID, err = customString(c, "id", true); err != nil {
		return nil, err
	}
	sev, err := customString(c, "severity", true)
	if err != nil {
		return nil, err
	}
	if r.Severity, err = finding.ParseSeverity(sev); err != nil {
		return nil, fmt.Errorf("custom.severity: %w", err)
	}
	layer, err := customString(c, "layer", true)
	if err != nil {
		return nil, err
	}
	switch finding.Layer(layer) {
	case finding.LayerCloud, finding.LayerCluster, finding.LayerContainer, finding.LayerCode:
		r.Layer = finding.Layer(layer)
	default:
		return nil, fmt.Errorf("custom.layer %q: want one of cloud, cluster, container, code", layer)
	}
	if r.Remediation, err = customString(c, "remediation", false); err != nil {
		return nil, err
	}
	if r.Controls, err = customStrings(c, "controls"); err != nil {
		return nil, err
	}
	for _, ctl := range r.Controls {
		if fw, id, ok := strings.Cut(ctl, ":"); !ok || fw == "" || id == "" {
			return nil, fmt.Errorf("custom.controls: %q is not framework:control", ctl)
		}
	}
	if r.Kinds, err = customStrings(c, "kinds"); err != nil {
		return nil, err
	}
	if r.Title == "" {
		return nil, fmt.Errorf("package %s: METADATA title is required", pkg)
	}
	if r.Controls == nil {
		r.Controls = []string{}
	}
	return r, nil
}

func customString(c map[string]any, key string, required bool) (string, error) {
	v, ok := c[key]
	if !ok {
		if required {
			return "", fmt.Errorf("METADATA custom.%s is required", key)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("METADATA custom.%s: want a string, got %T", key, v)
	}
	return strings.TrimSpace(s), nil
}

func customStrings(c map[string]any, key string) ([]string, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("METADATA custom.%s: want a list of strings, got %T", key, v)
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("METADATA custom.%s: want strings, got %T", key, e)
		}
		out = append(out, s)
	}
	return out, nil
}
