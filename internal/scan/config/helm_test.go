package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

// webChart is a small chart with what real charts have: helpers, NOTES.txt,
// values injected with toYaml | nindent, a subchart, and files that are not
// templates. Line numbers of deployment.yaml are in its comments.
func webChart() map[string]string {
	return map[string]string{
		"web/Chart.yaml": `apiVersion: v2
name: web
version: 0.1.0
dependencies:
  - name: cache
    version: 0.1.0
`,
		"web/values.yaml": `image: registry.example.com/web:1.4.2
hostNetwork: false
securityContext:
  privileged: true
# Looks like a manifest, but it is a values file.
apiVersion: v1
kind: Pod
metadata:
  name: not-a-pod
spec:
  hostPID: true
`,
		"web/templates/_helpers.tpl": `{{- define "web.fullname" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end -}}
`,
		"web/templates/NOTES.txt": "Installed {{ include \"web.fullname\" . }}.\nkind: Pod\n",
		"web/templates/deployment.yaml": `apiVersion: apps/v1                                      # 1
kind: Deployment
metadata:                                                # 3
  name: {{ include "web.fullname" . }}                   # 4
  labels:                                                # 5
    app: web                                             # 6
spec:                                                    # 7
  selector:                                              # 8
    matchLabels:                                         # 9
      app: web                                           # 10
  template:                                              # 11
    metadata:                                            # 12
      labels:                                            # 13
        app: web                                         # 14
    spec:                                                # 15
      {{- if .Values.hostNetwork }}
      hostNetwork: true                                  # 17
      {{- end }}
      containers:                                        # 19
        - name: web                                      # 20
          image: {{ .Values.image }}                     # 21
          securityContext:                               # 22
            {{- toYaml .Values.securityContext | nindent 12 }}
`,
		// A plain manifest inside the chart directory: an input of the
		// chart (or a CI fixture), not scanned on its own.
		"web/ci/extra-pod.yaml":        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: extra\nspec:\n  hostIPC: true\n",
		"web/charts/cache/Chart.yaml":  "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
		"web/charts/cache/values.yaml": "hostPID: true\n",
		"web/charts/cache/templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  hostPID: {{ .Values.hostPID }}
  containers:
    - name: cache
      image: redis:7.2
`,
	}
}

func TestHelmChart(t *testing.T) {
	root := writeTree(t, t.TempDir(), webChart())
	fs := runScan(t, root, scanOpts{})
	if errs := errorsOf(fs); len(errs) > 0 {
		t.Fatalf("error findings: %+v", errs)
	}
	got := only(hits(fs), "k8s-pss-privileged", "k8s-pss-host-namespaces", "k8s-image-latest")
	want := []hit{
		{Rule: "k8s-pss-host-namespaces", Path: "web/charts/cache/templates/pod.yaml", Line: 6, Resource: "Pod/cache"},
		// privileged is injected by toYaml: the finding points at the
		// template line that injects it.
		{Rule: "k8s-pss-privileged", Path: "web/templates/deployment.yaml", Line: 22, Resource: "Deployment/release-name-web"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	// Every finding is in a rendered template; nothing comes from values,
	// helpers, NOTES.txt or files beside the templates.
	for _, f := range fs {
		p := f.Location.Path
		if !strings.HasPrefix(p, "web/templates/deployment.yaml") && !strings.HasPrefix(p, "web/charts/cache/templates/") {
			t.Errorf("finding %s in %s, want only findings in rendered templates", f.RuleID, p)
		}
	}
	// A template is evaluated once, through Helm, not again as plain YAML
	// (where "{{" would make it a parse error or an object named "{{...").
	seen := map[string]int{}
	for _, f := range fs {
		seen[f.RuleID+" "+f.Resource.String()]++
	}
	for k, n := range seen {
		if n > 1 && !strings.HasPrefix(k, "k8s-no-") {
			t.Errorf("%s reported %d times", k, n)
		}
	}
}

func TestHelmFindingLines(t *testing.T) {
	root := writeTree(t, t.TempDir(), webChart())
	fs := runScan(t, root, scanOpts{cfg: Options{HelmSet: []string{"hostNetwork=true"}}})
	got := only(hits(fs), "k8s-pss-host-namespaces", "k8s-sa-token-automount", "k8s-no-resource-limits")
	want := []hit{
		{Rule: "k8s-sa-token-automount", Path: "web/charts/cache/templates/pod.yaml", Line: 5, Resource: "Pod/cache"},
		{Rule: "k8s-pss-host-namespaces", Path: "web/charts/cache/templates/pod.yaml", Line: 6, Resource: "Pod/cache"},
		// A missing setting points at the last key of its path that the
		// template has; template lines have no [i] to follow.
		{Rule: "k8s-no-resource-limits", Path: "web/charts/cache/templates/pod.yaml", Line: 7, Resource: "Pod/cache"},
		{Rule: "k8s-sa-token-automount", Path: "web/templates/deployment.yaml", Line: 15, Resource: "Deployment/release-name-web"},
		{Rule: "k8s-pss-host-namespaces", Path: "web/templates/deployment.yaml", Line: 17, Resource: "Deployment/release-name-web"},
		{Rule: "k8s-no-resource-limits", Path: "web/templates/deployment.yaml", Line: 19, Resource: "Deployment/release-name-web"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

func TestHelmValuesOverrides(t *testing.T) {
	dir := t.TempDir()
	hostNet := filepath.Join(dir, "hostnet.yaml")
	unprivileged := filepath.Join(dir, "unprivileged.yaml")
	for p, content := range map[string]string{
		hostNet:      "hostNetwork: true\n",
		unprivileged: "securityContext:\n  privileged: false\n  runAsNonRoot: true\n",
	} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const (
		priv = "k8s-pss-privileged"
		host = "k8s-pss-host-namespaces"
	)
	tests := []struct {
		name   string
		values []string
		set    []string
		want   []string // rules found in web/templates/deployment.yaml
	}{
		{name: "chart defaults", want: []string{priv}},
		{name: "--helm-set", set: []string{"securityContext.privileged=false"}, want: []string{}},
		{name: "--helm-set two keys", set: []string{"hostNetwork=true,securityContext.privileged=false"}, want: []string{host}},
		{name: "--helm-values", values: []string{hostNet}, want: []string{host, priv}},
		{name: "later values files win", values: []string{hostNet, unprivileged}, want: []string{host}},
		{name: "--helm-set wins over --helm-values", values: []string{unprivileged}, set: []string{"securityContext.privileged=true"}, want: []string{priv}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, t.TempDir(), webChart())
			fs := runScan(t, root, scanOpts{cfg: Options{HelmValues: tt.values, HelmSet: tt.set}})
			if errs := errorsOf(fs); len(errs) > 0 {
				t.Fatalf("error findings: %+v", errs)
			}
			got := []string{}
			for _, h := range only(hits(fs), priv, host) {
				if h.Path == "web/templates/deployment.yaml" {
					got = append(got, h.Rule)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("rules (-got +want):\n%s", diff)
			}
		})
	}
}

func TestHelmBadUserValues(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantMsg string
	}{
		{name: "missing values file", opts: Options{HelmValues: []string{filepath.Join(t.TempDir(), "nope.yaml")}}, wantMsg: "helm values"},
		{name: "bad --helm-set", opts: Options{HelmSet: []string{"a[=1"}}, wantMsg: "--helm-set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, t.TempDir(), webChart())
			fs := runScan(t, root, scanOpts{cfg: tt.opts})
			errs := errorsOf(fs)
			if len(errs) != 1 {
				t.Fatalf("error findings %+v, want one", errs)
			}
			if errs[0].Location.Path != "web/Chart.yaml" || !strings.Contains(errs[0].Message, tt.wantMsg) {
				t.Errorf("error finding at %s: %q, want one at web/Chart.yaml containing %q", errs[0].Location.Path, errs[0].Message, tt.wantMsg)
			}
		})
	}
}

func TestHelmTemplateErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		wantPath string
		wantLine int
		wantMsg  string
	}{
		{
			name: "execution error",
			files: map[string]string{
				"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deep }}\n",
			},
			wantPath: "c/templates/cm.yaml", wantLine: 4, wantMsg: "nil pointer evaluating",
		},
		{
			name: "rendered output is not YAML",
			files: map[string]string{
				"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: a: b\n",
			},
			wantPath: "c/templates/cm.yaml", wantLine: 6, wantMsg: "invalid YAML",
		},
		{
			// Helm reports where the helper was called.
			name: "fail in a helper",
			files: map[string]string{
				"c/templates/_helpers.tpl": "{{- define \"c.check\" -}}\n\n{{- fail \"set .Values.x\" -}}\n{{- end -}}\n",
				"c/templates/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"c.check\" . }}\n",
			},
			wantPath: "c/templates/cm.yaml", wantLine: 4, wantMsg: "set .Values.x",
		},
		{
			name: "required value",
			files: map[string]string{
				"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: {{ required \"k is required\" .Values.k }}\n",
			},
			wantPath: "c/templates/cm.yaml", wantLine: 6, wantMsg: "k is required",
		},
		{
			name: "template parse error",
			files: map[string]string{
				"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nofunc }}\n",
			},
			wantPath: "c/templates/cm.yaml", wantLine: 4, wantMsg: "nofunc",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n"}
			for k, v := range tt.files {
				files[k] = v
			}
			root := writeTree(t, t.TempDir(), files)
			fs := runScan(t, root, scanOpts{})
			errs := errorsOf(fs)
			if len(errs) != 1 {
				t.Fatalf("error findings %+v, want one", errs)
			}
			e := errs[0]
			if e.Kind != finding.KindError || e.RuleID != "parse-error" {
				t.Errorf("finding kind %s rule %s, want error parse-error", e.Kind, e.RuleID)
			}
			if e.Location.Path != tt.wantPath || e.Location.StartLine != tt.wantLine {
				t.Errorf("error at %s:%d, want %s:%d (%s)", e.Location.Path, e.Location.StartLine, tt.wantPath, tt.wantLine, e.Message)
			}
			if !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", e.Message, tt.wantMsg)
			}
		})
	}
}

func TestHelmBrokenChart(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"c/Chart.yaml":        "apiVersion: v2\nname: [c\n",
		"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	fs := runScan(t, root, scanOpts{})
	errs := errorsOf(fs)
	if len(errs) != 1 || errs[0].Location.Path != "c/Chart.yaml" || !strings.Contains(errs[0].Message, "load Helm chart") {
		t.Fatalf("error findings %+v, want one load error on c/Chart.yaml", errs)
	}
	if len(fs) != 1 {
		t.Errorf("got %d findings, want only the error: templates must not be scanned as plain YAML", len(fs))
	}
}

// A chart at the scan root: paths are relative to it.
func TestHelmChartAtRoot(t *testing.T) {
	files := map[string]string{}
	for p, c := range webChart() {
		files[strings.TrimPrefix(p, "web/")] = c
	}
	root := writeTree(t, t.TempDir(), files)
	got := only(hits(runScan(t, root, scanOpts{})), "k8s-pss-privileged", "k8s-pss-host-namespaces")
	want := []hit{
		{Rule: "k8s-pss-host-namespaces", Path: "charts/cache/templates/pod.yaml", Line: 6, Resource: "Pod/cache"},
		{Rule: "k8s-pss-privileged", Path: "templates/deployment.yaml", Line: 22, Resource: "Deployment/release-name-web"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

func TestHelmInlineIgnore(t *testing.T) {
	files := webChart()
	files["web/templates/deployment.yaml"] = strings.Replace(files["web/templates/deployment.yaml"],
		"          securityContext:                               # 22\n",
		"          # rampart:ignore:k8s-pss-privileged the node agent needs it\n          securityContext:\n", 1)
	root := writeTree(t, t.TempDir(), files)
	fs := runScan(t, root, scanOpts{})
	var found bool
	for _, f := range fs {
		if f.RuleID == "k8s-pss-privileged" && f.Location.Path == "web/templates/deployment.yaml" {
			found = true
			if !f.Suppressed || f.Suppression == nil || f.Suppression.Reason != "the node agent needs it" {
				t.Errorf("finding at line %d: suppressed %v %+v, want suppressed with the comment's reason", f.Location.StartLine, f.Suppressed, f.Suppression)
			}
		}
		if f.Suppressed && f.RuleID != "k8s-pss-privileged" {
			t.Errorf("%s is suppressed too", f.RuleID)
		}
	}
	if !found {
		t.Error("no k8s-pss-privileged finding")
	}
}

// Several documents of one kind in one template, after a document of
// another kind: each must point at its own lines.
func TestHelmSeveralDocumentsOfOneKind(t *testing.T) {
	deployment := func(name string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers:\n        - name: c\n          image: busybox:1.36\n"
	}
	root := writeTree(t, t.TempDir(), map[string]string{
		"c/Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/templates/all.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n---\n" + deployment("one") + "---\n" + deployment("two"),
	})
	got := only(hits(runScan(t, root, scanOpts{})), "k8s-pss-host-namespaces", "k8s-service-nodeport")
	want := []hit{
		{Rule: "k8s-service-nodeport", Path: "c/templates/all.yaml", Line: 6, Resource: "Service/s"},
		{Rule: "k8s-pss-host-namespaces", Path: "c/templates/all.yaml", Line: 15, Resource: "Deployment/one"},
		{Rule: "k8s-pss-host-namespaces", Path: "c/templates/all.yaml", Line: 27, Resource: "Deployment/two"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

// A subchart's directory under charts/ need not have the chart's name.
func TestHelmSubchartDirectoryName(t *testing.T) {
	files := map[string]string{}
	for p, c := range webChart() {
		files[strings.Replace(p, "web/charts/cache/", "web/charts/redis-cache/", 1)] = c
	}
	root := writeTree(t, t.TempDir(), files)
	got := only(hits(runScan(t, root, scanOpts{})), "k8s-pss-host-namespaces")
	want := []hit{{Rule: "k8s-pss-host-namespaces", Path: "web/charts/redis-cache/templates/pod.yaml", Line: 6, Resource: "Pod/cache"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

func TestTemplateErrorLocation(t *testing.T) {
	tests := []struct {
		name     string
		err      string
		root     string
		wantPath string
		wantLine int
	}{
		{name: "execution", err: `template: web/templates/d.yaml:12:3: executing "web/templates/d.yaml" at <x>: boom`, root: "charts/web", wantPath: "charts/web/templates/d.yaml", wantLine: 12},
		{name: "chart at root", err: `template: web/templates/d.yaml:4:1: boom`, root: ".", wantPath: "templates/d.yaml", wantLine: 4},
		{name: "subchart", err: `template: web/charts/db/templates/s.yaml:9:2: boom`, root: "web", wantPath: "web/charts/db/templates/s.yaml", wantLine: 9},
		{name: "no location", err: "chart requires kubeVersion: >=1.30", root: "web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, line := templateErrorLocation(errors.New(tt.err), "web", tt.root)
			if p != tt.wantPath || line != tt.wantLine {
				t.Errorf("templateErrorLocation = %q, %d; want %q, %d", p, line, tt.wantPath, tt.wantLine)
			}
		})
	}
}

func TestIsManifestTemplate(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{name: "web/templates/deployment.yaml", want: true},
		{name: "web/templates/svc.yml", want: true},
		{name: "web/templates/cm.json", want: true},
		{name: "web/templates/sub/dir/x.yaml", want: true},
		{name: "web/templates/_helpers.tpl", want: false},
		{name: "web/templates/_partial.yaml", want: false},
		{name: "web/templates/NOTES.txt", want: false},
		{name: "web/templates/tests/test-connection.yaml", want: false},
		{name: "web/templates/deployment.yaml.bak", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isManifestTemplate(tt.name); got != tt.want {
				t.Errorf("isManifestTemplate(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestChartRoot(t *testing.T) {
	roots := []string{"a", "a/charts/b", "ab", "c/d"}
	tests := []struct {
		path, want string
	}{
		{path: "a/Chart.yaml", want: "a"},
		{path: "a/templates/x.yaml", want: "a"},
		{path: "a/charts/b/templates/y.yaml", want: "a"},
		{path: "ab/values.yaml", want: "ab"},
		{path: "c/d/e/f.yaml", want: "c/d"},
		{path: "c/other.yaml", want: ""},
		{path: "abc/x.yaml", want: ""},
		{path: "x.yaml", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := chartRoot(roots, tt.path); got != tt.want {
				t.Errorf("chartRoot(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
	if got := chartRoot([]string{"."}, "templates/x.yaml"); got != "." {
		t.Errorf(`chartRoot(["."], templates/x.yaml) = %q, want "."`, got)
	}
}
