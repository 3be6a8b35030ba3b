package config

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan"
)

// helmAnalyzer renders each chart (a directory with Chart.yaml) with the
// Helm v3 library and evaluates the rendered manifests. Findings point at
// the template file.
type helmAnalyzer struct {
	eval   *evaluator
	values []string
	set    []string

	charts map[string][]scan.File // Chart.yaml path → the chart's files
}

var (
	_ scan.Analyzer = (*helmAnalyzer)(nil)
	_ scan.Preparer = (*helmAnalyzer)(nil)
)

func (a *helmAnalyzer) Name() string { return "helm" }

// Prepare finds chart roots and claims every file under them: templates are
// not plain YAML, and values files are inputs to rendering.
func (a *helmAnalyzer) Prepare(_ context.Context, _ scan.Target, files []scan.File) ([]string, error) {
	a.charts = map[string][]scan.File{}
	var roots []string
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			roots = append(roots, path.Dir(f.Path))
		}
	}
	sort.Strings(roots)
	var claimed []string
	for _, f := range files {
		root := chartRoot(roots, f.Path)
		if root == "" {
			continue
		}
		key := path.Join(root, "Chart.yaml")
		a.charts[key] = append(a.charts[key], f)
		claimed = append(claimed, f.Path)
	}
	return claimed, nil
}

// chartRoot is the outermost chart containing p: a subchart under charts/ is
// rendered as part of its parent.
func chartRoot(roots []string, p string) string {
	for _, r := range roots {
		if r == "." || strings.HasPrefix(p, r+"/") {
			return r
		}
	}
	return ""
}

func (a *helmAnalyzer) Match(p string, _ fs.DirEntry) bool {
	_, ok := a.charts[p]
	return ok
}

func (a *helmAnalyzer) Analyze(ctx context.Context, f scan.File) ([]finding.Finding, error) {
	root := path.Dir(f.Path)
	files := a.charts[f.Path]
	buffered := make([]*loader.BufferedFile, 0, len(files))
	sources := map[string][]byte{}
	var out []finding.Finding
	for _, cf := range files {
		data, err := cf.Read()
		if err != nil {
			out = append(out, scan.ErrorFinding(cf.Path, err))
			continue
		}
		rel := strings.TrimPrefix(cf.Path, root+"/")
		if root == "." {
			rel = cf.Path
		}
		buffered = append(buffered, &loader.BufferedFile{Name: rel, Data: data})
		sources[rel] = data
	}
	ch, err := loader.LoadFiles(buffered)
	if err != nil {
		return append(out, scan.ErrorFinding(f.Path, fmt.Errorf("load Helm chart: %w", err))), nil
	}
	vals, err := a.userValues()
	if err != nil {
		return nil, err
	}
	rendered, err := render(ch, vals)
	if err != nil {
		p, line := templateErrorLocation(err, ch.Name(), root)
		if p == "" {
			p = f.Path
		}
		return append(out, scan.ErrorFinding(p, &parseError{line: line, msg: "render Helm chart: " + err.Error()})), nil
	}
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		names = append(names, name)
	}
	sort.Strings(names)
	subdirs := subchartDirs(sources)
	for _, name := range names {
		if !isManifestTemplate(name) || strings.TrimSpace(rendered[name]) == "" {
			continue
		}
		rel := onDisk(strings.TrimPrefix(name, ch.Name()+"/"), subdirs)
		p := path.Join(root, rel)
		tmpl := sources[rel]
		fs, err := a.eval.yamlFile(ctx, p, []byte(rendered[name]), tmpl, func(d Document) locator {
			return templateLocator(tmpl, d)
		})
		if err != nil {
			return out, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// subchartDirs maps a subchart's path by chart name, as Helm names rendered
// templates ("charts/cache"), to its directory ("charts/redis-cache"): the
// two differ when a subchart's directory is not named after the chart.
func subchartDirs(sources map[string][]byte) map[string]string {
	dirs := map[string]string{}
	for p, data := range sources {
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		parent, sub := path.Split(dir)
		if base != "Chart.yaml" || path.Base(parent) != "charts" || sub == "" {
			continue
		}
		var meta struct {
			Name string `yaml:"name"`
		}
		if yaml.Unmarshal(data, &meta) == nil && meta.Name != "" {
			dirs[parent+meta.Name] = dir
		}
	}
	return dirs
}

// onDisk rewrites every charts/<name> step of a rendered template path to
// the subchart's directory.
func onDisk(rel string, dirs map[string]string) string {
	segs := strings.Split(rel, "/")
	for i := 0; i+1 < len(segs); i++ {
		if segs[i] != "charts" {
			continue
		}
		key := strings.Join(segs[:i+2], "/")
		if dir, ok := dirs[key]; ok {
			segs[i+1] = path.Base(dir)
		}
	}
	return strings.Join(segs, "/")
}

// render merges the user's values over the chart's and renders every
// template. The release namespace is left empty: a chart that writes
// {{ .Release.Namespace }} did not choose the default namespace.
func render(ch *chart.Chart, vals map[string]any) (map[string]string, error) {
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fmt.Errorf("process dependencies: %w", err)
	}
	opts := chartutil.ReleaseOptions{Name: "release-name", Namespace: "", Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(ch, rv)
}

// userValues merges --helm-values files in order, then --helm-set.
func (a *helmAnalyzer) userValues() (map[string]any, error) {
	vals := map[string]any{}
	for _, p := range a.values {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("helm values: %w", err)
		}
		v, err := chartutil.ReadValues(src)
		if err != nil {
			return nil, fmt.Errorf("helm values %s: %w", p, err)
		}
		vals = chartutil.MergeTables(v, vals)
	}
	for _, s := range a.set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("--helm-set %q: %w", s, err)
		}
	}
	return vals, nil
}

func isManifestTemplate(name string) bool {
	base := path.Base(name)
	if strings.HasPrefix(base, "_") || strings.Contains(name, "/tests/") {
		return false
	}
	switch path.Ext(base) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// templateErr finds the template and line in Helm's errors: "template:
// chart/templates/x.yaml:12:3: ...", "parse error at (chart/templates/x.yaml:7):
// ..." and "execution error at (chart/templates/x.yaml:9:4): ..." (fail,
// required).
var templateErr = regexp.MustCompile(`(?:template: |error at \()([^:\s()]+):(\d+)`)

func templateErrorLocation(err error, chartName, root string) (string, int) {
	m := templateErr.FindStringSubmatch(err.Error())
	if m == nil {
		return "", 0
	}
	line, _ := strconv.Atoi(m[2])
	return path.Join(root, strings.TrimPrefix(m[1], chartName+"/")), line
}

// templateLocator maps a field of a rendered document to a line of its
// template. Templates are text, so there is no exact mapping; this follows
// the field's keys in order through the template text, starting at the
// document's "kind:" line, and stops at the last key it finds, so a value
// injected with toYaml points at the key that injects it.
func templateLocator(tmpl []byte, d Document) locator {
	lines := strings.Split(string(tmpl), "\n")
	start := 0
	seen := 0
	for i, l := range lines {
		if strings.TrimSpace(l) == "kind: "+d.Kind || strings.TrimSpace(l) == "kind: \""+d.Kind+"\"" {
			start = i
			if seen == d.KindIndex {
				break
			}
			seen++
		}
	}
	// Back up to the document start so metadata before kind is found too.
	for start > 0 && strings.TrimSpace(lines[start-1]) != "---" {
		start--
	}
	return func(field string) (int, int) {
		segs, err := parseFieldPath(field)
		line := start
		if err != nil || field == "" {
			return line + 1, line + 1
		}
		for _, s := range segs {
			if s.index >= 0 {
				continue
			}
			for i := line; i < len(lines); i++ {
				t := strings.TrimLeft(strings.TrimSpace(lines[i]), "- ")
				if strings.HasPrefix(t, s.key+":") || strings.HasPrefix(t, `"`+s.key+`":`) {
					line = i
					break
				}
			}
		}
		return line + 1, line + 1
	}
}
