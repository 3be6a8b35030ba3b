// Package config is the misconfiguration scanner: it recognises Kubernetes
// manifests, Helm charts, kustomizations and Dockerfiles, turns them into
// policy inputs and reports what the Rego policies find, at exact lines.
package config

import (
	"context"
	"io/fs"
	"log/slog"
	"path"
	"strings"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/ignore"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/scan"
)

// Options configures the scanner.
type Options struct {
	Engine *policy.Engine
	// HelmValues are values files merged over each chart's values.yaml.
	HelmValues []string
	// HelmSet are key=value overrides, as helm --set.
	HelmSet []string
	Logger  *slog.Logger
}

// Scanner holds the analyzers of one scan. Use a new Scanner per scan.
type Scanner struct {
	eval      *evaluator
	analyzers []scan.Analyzer
}

// New builds the scanner's analyzers.
func New(opts Options) *Scanner {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ev := &evaluator{eng: opts.Engine}
	return &Scanner{
		eval: ev,
		analyzers: []scan.Analyzer{
			&helmAnalyzer{eval: ev, values: opts.HelmValues, set: opts.HelmSet},
			&kustomizeAnalyzer{eval: ev, log: opts.Logger},
			&kubernetesAnalyzer{eval: ev},
			&dockerfileAnalyzer{eval: ev},
		},
	}
}

// Analyzers returns the analyzers to hand to a scan.Runner.
func (s *Scanner) Analyzers() []scan.Analyzer { return s.analyzers }

// Resources lists every resource the policies evaluated.
func (s *Scanner) Resources() []Resource { return s.eval.Resources() }

// kubernetesAnalyzer reads YAML and JSON files and evaluates every
// Kubernetes object in them; other YAML is ignored.
type kubernetesAnalyzer struct{ eval *evaluator }

var (
	_ scan.Analyzer = (*kubernetesAnalyzer)(nil)
	_ scan.Finisher = (*kubernetesAnalyzer)(nil)
)

func (a *kubernetesAnalyzer) Name() string { return "kubernetes" }

func (a *kubernetesAnalyzer) Match(p string, _ fs.DirEntry) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (a *kubernetesAnalyzer) Analyze(ctx context.Context, f scan.File) ([]finding.Finding, error) {
	src, err := f.Read()
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(strings.ToLower(f.Path), ".json") && !looksLikeKubernetesJSON(src) {
		return nil, nil // package.json, tsconfig.json...: not ours
	}
	return a.eval.yamlFile(ctx, f.Path, src, src, nil)
}

func (a *kubernetesAnalyzer) Finish(ctx context.Context) ([]finding.Finding, error) {
	return a.eval.finishSet(ctx)
}

// looksLikeKubernetesJSON avoids parsing every JSON file of a repository.
func looksLikeKubernetesJSON(src []byte) bool {
	s := string(src)
	return strings.Contains(s, `"apiVersion"`) && strings.Contains(s, `"kind"`)
}

// yamlFile evaluates every Kubernetes document of a YAML stream. Documents
// that fail to parse are reported and the rest are still evaluated. A
// non-nil locate overrides line lookup (Helm maps rendered documents to
// template lines); ignoreSrc is the text whose comments can suppress
// findings (the template, for Helm).
func (e *evaluator) yamlFile(ctx context.Context, p string, src, ignoreSrc []byte, locate func(Document) locator) ([]finding.Finding, error) {
	nodes, errs := readYAMLNodes(src)
	docs, docErrs := kubernetesDocuments(nodes)
	errs = append(errs, docErrs...)
	inline := ignore.ParseInline(ignoreSrc)
	var out []finding.Finding
	for _, err := range errs {
		out = append(out, scan.ErrorFinding(p, err))
	}
	for _, d := range docs {
		loc, setLoc, start := nodeLocator(d), reparseLocator(src, d.Index), d.StartLine
		if locate != nil {
			loc = locate(d)
			setLoc = loc
			start, _ = loc("")
		}
		fs, err := e.kubernetes(ctx, p, d, loc, setLoc, inline, start)
		if err != nil {
			return out, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// reparseLocator finds lines by parsing the file again: it keeps only the
// bytes, not the node tree, for documents remembered until the scan ends.
func reparseLocator(src []byte, index int) locator {
	return func(field string) (int, int) {
		nodes, _ := readYAMLNodes(src)
		docs, _ := kubernetesDocuments(nodes)
		if index >= len(docs) {
			return 0, 0
		}
		return nodeLocator(docs[index])(field)
	}
}

func nodeLocator(d Document) locator {
	return func(field string) (int, int) {
		if field == "" {
			return d.StartLine, d.StartLine
		}
		s, e, _ := locate(d.Node, field)
		return s, e
	}
}

// dockerfileAnalyzer evaluates Dockerfiles, recognised by name or content.
type dockerfileAnalyzer struct{ eval *evaluator }

var _ scan.Analyzer = (*dockerfileAnalyzer)(nil)

func (a *dockerfileAnalyzer) Name() string { return "dockerfile" }

func (a *dockerfileAnalyzer) Match(p string, d fs.DirEntry) bool {
	if isDockerfileName(p) {
		return true
	}
	// Files without an extension (build.docker excluded) are sniffed in
	// Analyze; Match must stay cheap.
	return path.Ext(p) == "" && !strings.HasPrefix(path.Base(p), ".")
}

// sniffSize is how much of an extensionless file is read to recognise a
// Dockerfile: binaries and data files must not be read whole (or reported
// as too large) just to find they are not Dockerfiles.
const sniffSize = 8 << 10

func (a *dockerfileAnalyzer) Analyze(ctx context.Context, f scan.File) ([]finding.Finding, error) {
	if !isDockerfileName(f.Path) {
		head, err := f.Head(sniffSize)
		if err != nil || !looksLikeDockerfile(head) {
			return nil, nil // unreadable or not a Dockerfile: not ours to report
		}
	}
	src, err := f.Read()
	if err != nil {
		return nil, err
	}
	df, err := parseDockerfile(src)
	if err != nil {
		return nil, err
	}
	res := &finding.Resource{Kind: "Dockerfile"}
	return a.eval.evaluate(ctx, subject{
		kind: policy.KindDockerfile, input: df.input(), conftest: df.conftestInput(),
		path: f.Path, res: res, start: 1, inline: ignore.ParseInline(src),
	})
}
