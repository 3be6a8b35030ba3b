package config

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/ignore"
	"github.com/rampart-sec/rampart/internal/policy"
)

// Resource is one object the policies judged, for compliance reports: every
// resource evaluated, with or without findings.
type Resource struct {
	Input    string           `json:"input"` // policy input kind
	Resource finding.Resource `json:"resource"`
	Path     string           `json:"path"`
	Line     int              `json:"line"`
}

// locator turns a policy's field path into lines of the reported file.
type locator func(field string) (start, end int)

// evaluator runs the policies on documents and turns results into findings.
// The analyzers share one, so that set-level rules see every document.
type evaluator struct {
	eng *policy.Engine

	mu        sync.Mutex
	resources []Resource
	setDocs   []setDoc
}

// setDoc is a document as the set-level policies see it, with what is needed
// to point a finding back at it. It must stay small: one is kept for every
// document of the scan, so it holds no YAML nodes (locate re-reads the file
// in the rare case a set-level rule reports on it).
type setDoc struct {
	kind, apiVersion, name, namespace string
	path                              string
	res                               finding.Resource
	locate                            locator
	inline                            *ignore.Inline
	start                             int
}

// subject is one thing to evaluate: a document and where it came from.
type subject struct {
	kind     string // policy input kind
	input    any
	conftest any // Conftest's input shape, nil for the same as input
	path     string
	res      *finding.Resource
	start    int // first line of the resource, an inline-ignore anchor
	locate   locator
	inline   *ignore.Inline
}

func (e *evaluator) evaluate(ctx context.Context, s subject) ([]finding.Finding, error) {
	kind := ""
	if s.res != nil {
		kind = s.res.Kind
	}
	dec, err := e.eng.Decide(ctx, policy.Query{Kind: s.kind, Input: s.input, ResourceKind: kind})
	if err != nil {
		return nil, err
	}
	results := dec.Results
	if e.eng.Has(policy.KindConftest) {
		in := s.conftest
		if in == nil {
			in = s.input
		}
		cd, err := e.eng.Decide(ctx, policy.Query{Kind: policy.KindConftest, Input: in})
		if err != nil {
			return nil, err
		}
		results = append(results, cd.Results...)
	}
	rec := Resource{Input: s.kind, Path: s.path, Line: s.start}
	if s.res != nil {
		rec.Resource = *s.res
	}
	e.mu.Lock()
	e.resources = append(e.resources, rec)
	e.mu.Unlock()

	out := make([]finding.Finding, 0, len(results))
	for _, r := range results {
		out = append(out, e.toFinding(r, s))
	}
	return out, nil
}

func (e *evaluator) toFinding(r policy.Result, s subject) finding.Finding {
	rule := r.Rule
	f := finding.Finding{
		RuleID: rule.ID, Kind: finding.KindMisconfiguration, Severity: rule.Severity, Layer: rule.Layer,
		Title: rule.Title, Message: r.Message, Description: rule.Description, Remediation: rule.Remediation,
		Controls: rule.Controls, References: rule.References, Resource: s.res,
		Location: finding.Location{Path: s.path, Field: r.Field, StartLine: r.StartLine, EndLine: r.EndLine},
	}
	if f.Location.StartLine == 0 && s.locate != nil {
		f.Location.StartLine, f.Location.EndLine = s.locate(r.Field)
	}
	if f.Location.StartLine == 0 {
		f.Location.StartLine = s.start
	}
	if f.Location.EndLine < f.Location.StartLine {
		f.Location.EndLine = f.Location.StartLine
	}
	if reason, ok := s.inline.Match(rule.ID, f.Location.StartLine, s.start); ok {
		f.Suppressed = true
		f.Suppression = &finding.Suppression{Source: "inline", Reason: reason}
	}
	f.SetFingerprint()
	return f
}

// kubernetes evaluates one Kubernetes document and records it for the
// set-level policies.
// setLocate, used only if a set-level rule reports on the document, must
// not hold on to the document's YAML nodes.
func (e *evaluator) kubernetes(ctx context.Context, path string, d Document, locate, setLocate locator, inline *ignore.Inline, start int) ([]finding.Finding, error) {
	res := &finding.Resource{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}
	if e.eng.Has(policy.KindKubernetesSet) {
		e.mu.Lock()
		e.setDocs = append(e.setDocs, setDoc{
			kind: d.Kind, apiVersion: d.APIVersion, name: d.Name, namespace: d.Namespace,
			path: path, res: *res, locate: setLocate, inline: inline, start: start,
		})
		e.mu.Unlock()
	}
	return e.evaluate(ctx, subject{
		kind: policy.KindKubernetes, input: d.Value, path: path, res: res,
		start: start, locate: locate, inline: inline,
	})
}

// finishSet runs the set-level policies once over every document seen.
func (e *evaluator) finishSet(ctx context.Context) ([]finding.Finding, error) {
	if !e.eng.Has(policy.KindKubernetesSet) || len(e.setDocs) == 0 {
		return nil, nil
	}
	// Documents arrive from parallel workers; order them so indexes and the
	// "first workload of a namespace" are the same on every run.
	slices.SortFunc(e.setDocs, func(a, b setDoc) int {
		if a.path != b.path {
			if a.path < b.path {
				return -1
			}
			return 1
		}
		return a.start - b.start
	})
	docs := make([]*ast.Term, len(e.setDocs))
	for i, d := range e.setDocs {
		docs[i] = ast.ObjectTerm(
			ast.Item(ast.StringTerm("index"), ast.IntNumberTerm(i)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(d.kind)),
			ast.Item(ast.StringTerm("api_version"), ast.StringTerm(d.apiVersion)),
			ast.Item(ast.StringTerm("name"), ast.StringTerm(d.name)),
			ast.Item(ast.StringTerm("namespace"), ast.StringTerm(d.namespace)),
			ast.Item(ast.StringTerm("workload"), ast.BooleanTerm(slices.Contains(policy.WorkloadKinds, d.kind))),
		)
	}
	input := ast.NewObject(ast.Item(ast.StringTerm("documents"), ast.ArrayTerm(docs...)))
	dec, err := e.eng.Decide(ctx, policy.Query{Kind: policy.KindKubernetesSet, Input: input})
	if err != nil {
		return nil, err
	}
	var out []finding.Finding
	for _, r := range dec.Results {
		if r.Document < 0 || r.Document >= len(e.setDocs) {
			return nil, fmt.Errorf("policy %s: result document %d is not an index of input.documents", r.Rule.ID, r.Document)
		}
		d := e.setDocs[r.Document]
		res := d.res
		out = append(out, e.toFinding(r, subject{path: d.path, res: &res, start: d.start, locate: d.locate, inline: d.inline}))
	}
	return out, nil
}

// Resources returns every resource evaluated so far.
func (e *evaluator) Resources() []Resource {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.resources)
}
