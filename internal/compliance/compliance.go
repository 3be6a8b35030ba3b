// Package compliance turns findings into a per-control pass/fail report for
// one framework (pss-baseline, pss-restricted, cis-docker-1.6, ...): every
// evaluated resource, every control that applies to it, and its status.
package compliance

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/internal/finding"
)

// Status of one control on one resource.
type Status string

// Statuses.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	// Suppressed: it fails, but every failing finding is suppressed.
	Suppressed Status = "suppressed"
)

// Rule is what compliance needs to know of a policy.
type Rule struct {
	ID       string
	Input    string
	Controls []string
	// AppliesTo reports whether the rule checks a kind; nil means every kind.
	AppliesTo func(kind string) bool
}

// Evaluated is a resource the policies judged.
type Evaluated struct {
	Input    string
	Resource finding.Resource
	Path     string
	Line     int
}

// Report is the compliance view of a scan.
type Report struct {
	Framework string     `json:"framework"`
	Controls  []Control  `json:"controls"`
	Resources []Resource `json:"resources"`
}

// Control sums one control over every resource it applies to.
type Control struct {
	ID     string   `json:"id"`
	Rules  []string `json:"rules"`
	Passed int      `json:"passed"`
	Failed int      `json:"failed"`
}

// Resource lists the controls that apply to one resource.
type Resource struct {
	Resource finding.Resource `json:"resource"`
	Path     string           `json:"path"`
	Line     int              `json:"line"`
	Checks   []Check          `json:"checks"`
}

// Check is one control on one resource.
type Check struct {
	Control string   `json:"control"`
	Status  Status   `json:"status"`
	Rules   []string `json:"failed_rules,omitempty"`
}

// includes lists frameworks that contain another: the restricted Pod
// Security Standard is the baseline plus more.
var includes = map[string][]string{"pss-restricted": {"pss-baseline"}}

// Frameworks lists the frameworks the rules map to.
func Frameworks(rules []Rule) []string {
	set := map[string]bool{}
	for _, r := range rules {
		for _, c := range r.Controls {
			fw, _, _ := strings.Cut(c, ":")
			set[fw] = true
		}
	}
	out := make([]string, 0, len(set))
	for fw := range set {
		out = append(out, fw)
	}
	sort.Strings(out)
	return out
}

// Build computes the report for one framework.
func Build(framework string, rules []Rule, evaluated []Evaluated, findings []finding.Finding) (*Report, error) {
	fws := append([]string{framework}, includes[framework]...)
	inFramework := func(ctl string) bool {
		fw, _, _ := strings.Cut(ctl, ":")
		return slices.Contains(fws, fw)
	}
	// control → rules mapping to it
	ctlRules := map[string][]Rule{}
	for _, r := range rules {
		for _, c := range r.Controls {
			if inFramework(c) {
				ctlRules[c] = append(ctlRules[c], r)
			}
		}
	}
	if len(ctlRules) == 0 {
		return nil, fmt.Errorf("no loaded policy maps to framework %q (known: %s)", framework, strings.Join(Frameworks(rules), ", "))
	}
	ctlIDs := make([]string, 0, len(ctlRules))
	for c := range ctlRules {
		ctlIDs = append(ctlIDs, c)
	}
	sort.Strings(ctlIDs)

	type key struct{ path, res, rule string }
	failing := map[key]Status{}
	for _, f := range findings {
		k := key{f.Location.Path, f.Resource.String(), f.RuleID}
		if !f.Suppressed {
			failing[k] = Fail
		} else if failing[k] != Fail {
			failing[k] = Suppressed
		}
	}

	rep := &Report{Framework: framework, Resources: []Resource{}}
	counts := map[string]*Control{}
	for _, c := range ctlIDs {
		ctl := &Control{ID: c}
		for _, r := range ctlRules[c] {
			ctl.Rules = append(ctl.Rules, r.ID)
		}
		counts[c] = ctl
	}
	seen := map[string]bool{}
	for _, ev := range evaluated {
		id := ev.Path + "\x00" + ev.Resource.String()
		if seen[id] {
			continue
		}
		seen[id] = true
		res := Resource{Resource: ev.Resource, Path: ev.Path, Line: ev.Line}
		for _, c := range ctlIDs {
			applies := false
			status := Pass
			var failed []string
			for _, r := range ctlRules[c] {
				if r.Input != ev.Input || (r.AppliesTo != nil && !r.AppliesTo(ev.Resource.Kind)) {
					continue
				}
				applies = true
				switch failing[key{ev.Path, ev.Resource.String(), r.ID}] {
				case Fail:
					status = Fail
					failed = append(failed, r.ID)
				case Suppressed:
					if status == Pass {
						status = Suppressed
					}
				}
			}
			if !applies {
				continue
			}
			res.Checks = append(res.Checks, Check{Control: c, Status: status, Rules: failed})
			if status == Fail {
				counts[c].Failed++
			} else {
				counts[c].Passed++
			}
		}
		if len(res.Checks) > 0 {
			rep.Resources = append(rep.Resources, res)
		}
	}
	for _, c := range ctlIDs {
		rep.Controls = append(rep.Controls, *counts[c])
	}
	slices.SortFunc(rep.Resources, func(a, b Resource) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Resource.String(), b.Resource.String()))
	})
	return rep, nil
}
