package config

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/scan"
)

// builtin loads the bundled policies once for the whole test binary:
// compiling them is the slow part of a scan.
var builtin struct {
	once sync.Once
	eng  *policy.Engine
	err  error
}

func builtinEngine(t testing.TB) *policy.Engine {
	t.Helper()
	builtin.once.Do(func() {
		builtin.eng, builtin.err = policy.Load(context.Background(), policy.Options{})
	})
	if builtin.err != nil {
		t.Fatalf("load builtin policies: %v", builtin.err)
	}
	return builtin.eng
}

// writeTree writes files (slash paths relative to dir) and returns dir.
func writeTree(t testing.TB, dir string, files map[string]string) string {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scanOpts configures runScan.
type scanOpts struct {
	eng *policy.Engine
	cfg Options
	dir scan.DirOptions
}

// runScan scans root with the whole scanner, as `rampart scan` does.
func runScan(t testing.TB, root string, o scanOpts) []finding.Finding {
	t.Helper()
	if o.eng == nil {
		o.eng = builtinEngine(t)
	}
	o.cfg.Engine = o.eng
	target, err := scan.NewDir(root, o.dir)
	if err != nil {
		t.Fatal(err)
	}
	sc := New(o.cfg)
	r := scan.Runner{Analyzers: sc.Analyzers(), Workers: 4}
	fs, err := r.Run(context.Background(), target)
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return fs
}

// hit is the part of a finding most tests compare.
type hit struct {
	Rule       string
	Path       string
	Line       int
	Resource   string
	Suppressed bool
}

func hits(fs []finding.Finding) []hit {
	out := make([]hit, 0, len(fs))
	for _, f := range fs {
		out = append(out, hit{Rule: f.RuleID, Path: f.Location.Path, Line: f.Location.StartLine, Resource: f.Resource.String(), Suppressed: f.Suppressed})
	}
	sortHits(out)
	return out
}

func sortHits(hs []hit) {
	sort.Slice(hs, func(i, j int) bool {
		a, b := hs[i], hs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Resource < b.Resource
	})
}

// only keeps the findings of the given rules.
func only(hs []hit, rules ...string) []hit {
	out := []hit{}
	for _, h := range hs {
		for _, r := range rules {
			if h.Rule == r {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// errorsOf returns the error findings.
func errorsOf(fs []finding.Finding) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Kind == finding.KindError {
			out = append(out, f)
		}
	}
	return out
}

func TestScannerKinds(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"k8s/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: yaml\nspec:\n  hostPID: true\n",
		"k8s/pod.yml":  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: yml\nspec:\n  hostPID: true\n",
		"k8s/POD.YAML": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: upper\nspec:\n  hostPID: true\n",
		"k8s/pod.json": "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"json\"},\n  \"spec\": {\"hostPID\": true}\n}\n",
		// Not Kubernetes: no findings, no errors.
		"package.json":             "{\"name\": \"x\", \"version\": \"1.0.0\", \"scripts\": {\"kind\": 1}}\n",
		"broken.json":              "{\"name\": \n",
		".github/workflows/ci.yml": "on: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
		"docs/notes.txt":           "kind: Pod\n",
		// Dockerfiles by name and by content.
		"Dockerfile":           "FROM alpine:latest\nUSER root\n",
		"build/app.Dockerfile": "FROM alpine:latest\nUSER root\n",
		"images/base":          "# a Dockerfile without the name\nARG X=1\nFROM alpine:latest\nUSER root\n",
		"scripts/run":          "#!/bin/sh\necho FROM alpine\n",
		"LICENSE":              "Permission is hereby granted, FROM now on...\n",
		".hidden":              "FROM alpine:latest\nUSER root\n",
	})
	fs := runScan(t, root, scanOpts{})
	if errs := errorsOf(fs); len(errs) > 0 {
		t.Fatalf("error findings: %+v", errs)
	}
	got := only(hits(fs), "k8s-pss-host-namespaces", "dockerfile-root-user")
	want := []hit{
		{Rule: "dockerfile-root-user", Path: "Dockerfile", Line: 2, Resource: "Dockerfile"},
		{Rule: "dockerfile-root-user", Path: "build/app.Dockerfile", Line: 2, Resource: "Dockerfile"},
		{Rule: "dockerfile-root-user", Path: "images/base", Line: 4, Resource: "Dockerfile"},
		{Rule: "k8s-pss-host-namespaces", Path: "k8s/POD.YAML", Line: 6, Resource: "Pod/upper"},
		{Rule: "k8s-pss-host-namespaces", Path: "k8s/pod.json", Line: 5, Resource: "Pod/json"},
		{Rule: "k8s-pss-host-namespaces", Path: "k8s/pod.yaml", Line: 6, Resource: "Pod/yaml"},
		{Rule: "k8s-pss-host-namespaces", Path: "k8s/pod.yml", Line: 6, Resource: "Pod/yml"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

func TestScannerParseErrors(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"Dockerfile": "# no FROM here\nRUN echo\n",
		"multi.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  hostPID: true\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\n  labels: : x\n",
	})
	fs := runScan(t, root, scanOpts{})
	type loc struct {
		Path string
		Line int
	}
	var got []loc
	for _, e := range errorsOf(fs) {
		got = append(got, loc{e.Location.Path, e.Location.StartLine})
	}
	want := []loc{{"Dockerfile", 1}, {"multi.yaml", 12}}
	sort.Slice(got, func(i, j int) bool { return got[i].Path < got[j].Path })
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("error findings (-got +want):\n%s", diff)
	}
	// The good document of multi.yaml is still evaluated.
	if n := len(only(hits(fs), "k8s-pss-host-namespaces")); n != 1 {
		t.Errorf("got %d k8s-pss-host-namespaces findings, want 1", n)
	}
}

func TestScannerSymlinks(t *testing.T) {
	outside := writeTree(t, t.TempDir(), map[string]string{
		"pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: outside\nspec:\n  hostPID: true\n",
	})
	root := writeTree(t, t.TempDir(), map[string]string{
		"app/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: inside\nspec:\n  hostPID: true\n",
	})
	links := map[string]string{
		"app/loop":      "..",                               // a directory linked to its parent
		"app/self":      ".",                                // and to itself
		"link.yaml":     "app/pod.yaml",                     // a file inside: read like the file
		"outside.yaml":  filepath.Join(outside, "pod.yaml"), // a file outside
		"outside-dir":   outside,                            // a directory outside
		"dangling.yaml": "nowhere.yaml",                     // a link to nothing
		"a.yaml":        "b.yaml",                           // a loop of file links
		"b.yaml":        "a.yaml",
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	fs := runScan(t, root, scanOpts{})
	got := hits(only2(fs, "k8s-pss-host-namespaces", "parse-error"))
	want := []hit{
		{Rule: "parse-error", Path: "a.yaml"},
		{Rule: "parse-error", Path: "b.yaml"},
		{Rule: "parse-error", Path: "dangling.yaml"},
		{Rule: "parse-error", Path: "outside-dir"},
		{Rule: "parse-error", Path: "outside.yaml"},
		{Rule: "k8s-pss-host-namespaces", Path: "app/pod.yaml", Line: 6, Resource: "Pod/inside"},
		{Rule: "k8s-pss-host-namespaces", Path: "link.yaml", Line: 6, Resource: "Pod/inside"},
	}
	sortHits(want)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	for _, f := range errorsOf(fs) {
		if strings.HasPrefix(f.Location.Path, "outside") && !strings.Contains(f.Message, "outside the scan root") {
			t.Errorf("%s: %q, want it to say the link points outside the scan root", f.Location.Path, f.Message)
		}
	}
}

// only2 keeps the findings of the given rules.
func only2(fs []finding.Finding, rules ...string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if slices.Contains(rules, f.RuleID) {
			out = append(out, f)
		}
	}
	return out
}

// removeOnPrepare deletes files after the walk and before any analyzer reads
// them, as a concurrent checkout would; running as root, this is how a
// file becomes unreadable.
type removeOnPrepare struct {
	root  string
	paths []string
}

func (r *removeOnPrepare) Name() string                   { return "remove" }
func (r *removeOnPrepare) Match(string, fs.DirEntry) bool { return false }
func (r *removeOnPrepare) Analyze(context.Context, scan.File) ([]finding.Finding, error) {
	return nil, nil
}

func (r *removeOnPrepare) Prepare(context.Context, scan.Target, []scan.File) ([]string, error) {
	for _, p := range r.paths {
		if err := os.Remove(filepath.Join(r.root, filepath.FromSlash(p))); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func TestScannerUnreadableFiles(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"gone.yaml":  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: gone\n",
		"Dockerfile": "FROM alpine:3.20\n",
		"ok.yaml":    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  hostPID: true\n",
	})
	// A named pipe: opening it would block until a writer comes.
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("pipe.yaml", filepath.Join(root, "pipe-link.yaml")); err != nil {
		t.Fatal(err)
	}
	target, err := scan.NewDir(root, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc := New(Options{Engine: builtinEngine(t)})
	r := scan.Runner{Analyzers: append([]scan.Analyzer{&removeOnPrepare{root: root, paths: []string{"gone.yaml", "Dockerfile"}}}, sc.Analyzers()...)}
	fs, err := r.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	got := hits(only2(fs, "parse-error", "k8s-pss-host-namespaces"))
	want := []hit{
		{Rule: "parse-error", Path: "Dockerfile"},
		{Rule: "parse-error", Path: "gone.yaml"},
		{Rule: "k8s-pss-host-namespaces", Path: "ok.yaml", Line: 6, Resource: "Pod/ok"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	for _, e := range errorsOf(fs) {
		if !strings.Contains(e.Message, "no such file") {
			t.Errorf("%s: %q, want the read error", e.Location.Path, e.Message)
		}
	}
}

func TestScannerMaxFileSize(t *testing.T) {
	small := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: small\nspec:\n  hostPID: true\n"
	big := small + "# " + strings.Repeat("x", 300) + "\n"
	root := writeTree(t, t.TempDir(), map[string]string{
		"small.yaml":               small,
		"big.yaml":                 big,
		"big/Dockerfile":           "FROM alpine:3.20\n# " + strings.Repeat("x", 300) + "\n",
		"chart/Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n# " + strings.Repeat("x", 300) + "\n",
		"chart/templates/pod.yaml": small,
	})
	fs := runScan(t, root, scanOpts{dir: scan.DirOptions{MaxFileSize: 200}})
	// (A chart whose Chart.yaml is too large also fails to load; that
	// second error is not compared.)
	got := hits(only2(fs, "file-too-large", "k8s-pss-host-namespaces"))
	want := []hit{
		{Rule: "file-too-large", Path: "big.yaml"},
		{Rule: "file-too-large", Path: "big/Dockerfile"},
		{Rule: "file-too-large", Path: "chart/Chart.yaml"},
		{Rule: "k8s-pss-host-namespaces", Path: "small.yaml", Line: 6, Resource: "Pod/small"},
	}
	sortHits(want)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	for _, f := range fs {
		if strings.HasPrefix(f.Location.Path, "chart/templates/") {
			t.Errorf("%s in %s: the chart's files must not be scanned as plain YAML", f.RuleID, f.Location.Path)
		}
		if f.RuleID == "file-too-large" && (f.Kind != finding.KindError || !strings.Contains(f.Message, "--max-file-size")) {
			t.Errorf("%s: kind %s message %q, want an error that names --max-file-size", f.Location.Path, f.Kind, f.Message)
		}
	}
}

// An executable or other large file without an extension is not a
// Dockerfile; it must not be read (or reported as too large) just to sniff it.
func TestScannerLargeBinaryWithoutExtension(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{"bin/tool": strings.Repeat("\x00", 500)})
	if fs := runScan(t, root, scanOpts{dir: scan.DirOptions{MaxFileSize: 200}}); len(fs) != 0 {
		t.Errorf("findings %v, want none", hits(fs))
	}
}

func TestScannerSkips(t *testing.T) {
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  hostPID: true\n"
	}
	root := writeTree(t, t.TempDir(), map[string]string{
		"keep.yaml":                      pod("keep"),
		".git/pod.yaml":                  pod("git"),
		"node_modules/pkg/pod.yaml":      pod("node-modules"),
		"vendor/pod.yaml":                pod("vendor"),
		"app/vendor/pod.yaml":            pod("nested-vendor"),
		"app/.terraform/pod.yaml":        pod("terraform"),
		"generated/pod.yaml":             pod("generated"),
		"deploy/legacy/pod.yaml":         pod("legacy"),
		"deploy/current/legacy/pod.yaml": pod("current-legacy"),
		"deploy/skip-me.yaml":            pod("skip-me"),
		"deploy/db.secret.yaml":          pod("secret"),
		"deploy/keep.yaml":               pod("deploy-keep"),
		"tmp-1/pod.yaml":                 pod("tmp"),
	})
	fs := runScan(t, root, scanOpts{dir: scan.DirOptions{
		SkipDirs:  []string{"generated", "deploy/legacy/", "tmp-*"},
		SkipFiles: []string{"*.secret.yaml", "deploy/skip-me.yaml"},
	}})
	var got []string
	for _, h := range only(hits(fs), "k8s-pss-host-namespaces") {
		got = append(got, h.Resource)
	}
	want := []string{"Pod/current-legacy", "Pod/deploy-keep", "Pod/keep"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("scanned pods (-got +want):\n%s", diff)
	}
}

func TestScannerInlineIgnore(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"pods.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: on-the-line
spec:
  hostPID: true # rampart:ignore:k8s-pss-host-namespaces needed by the profiler
  containers:
    - name: c
      image: busybox:1.36
      securityContext:
        privileged: true # rampart:ignore:k8s-pss-host-namespaces wrong rule: no effect
---
# rampart:ignore:k8s-pss-privileged the whole resource is a CSI node plugin
apiVersion: v1
kind: Pod
metadata:
  name: above-the-resource
spec:
  hostPID: true
  containers:
    - name: c
      image: busybox:1.36
      securityContext:
        privileged: true
---
apiVersion: v1
kind: Pod
metadata:
  name: not-ignored
spec:
  hostPID: true
  containers:
    - name: c
      image: busybox:1.36
      securityContext:
        # rampart:ignore:k8s-pss-privileged above the field
        privileged: true
`,
		"Dockerfile": "FROM alpine:3.20\n# rampart:ignore:dockerfile-root-user build image, never deployed\nUSER root\n",
	})
	fs := runScan(t, root, scanOpts{})
	got := hits(only2(fs, "k8s-pss-host-namespaces", "k8s-pss-privileged", "dockerfile-root-user"))
	want := []hit{
		{Rule: "dockerfile-root-user", Path: "Dockerfile", Line: 3, Resource: "Dockerfile", Suppressed: true},
		{Rule: "k8s-pss-host-namespaces", Path: "pods.yaml", Line: 6, Resource: "Pod/on-the-line", Suppressed: true},
		{Rule: "k8s-pss-privileged", Path: "pods.yaml", Line: 11, Resource: "Pod/on-the-line"},
		{Rule: "k8s-pss-host-namespaces", Path: "pods.yaml", Line: 19, Resource: "Pod/above-the-resource"},
		{Rule: "k8s-pss-privileged", Path: "pods.yaml", Line: 24, Resource: "Pod/above-the-resource", Suppressed: true},
		{Rule: "k8s-pss-host-namespaces", Path: "pods.yaml", Line: 31, Resource: "Pod/not-ignored"},
		{Rule: "k8s-pss-privileged", Path: "pods.yaml", Line: 37, Resource: "Pod/not-ignored", Suppressed: true},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	for _, f := range fs {
		if f.Suppressed && (f.Suppression == nil || f.Suppression.Source != "inline" || f.Suppression.Reason == "") {
			t.Errorf("%s at %s: suppression %+v, want inline with the comment's reason", f.RuleID, f.Location, f.Suppression)
		}
	}
}

func TestScannerNetworkPolicySet(t *testing.T) {
	deploy := func(ns, name string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: busybox:1.36\n"
	}
	netpol := func(ns string) string {
		return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: " + ns + "\nspec:\n  podSelector: {}\n"
	}
	root := writeTree(t, t.TempDir(), map[string]string{
		"shop/web.yaml":      deploy("shop", "web"),
		"shop/netpol.yaml":   netpol("shop"),
		"billing/b-api.yaml": deploy("billing", "api"),
		"billing/a-job.yaml": "# a comment\n" + deploy("billing", "job"),
		"data/db.yaml":       "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: data\n---\n" + deploy("data", "db"),
		"nons/pod.yaml":      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
		"ignored/queue.yaml": "# rampart:ignore:k8s-namespace-no-network-policy queue namespace is isolated by the CNI\n" + deploy("queue", "q"),
		"other/netpol.yaml":  netpol("unused"),
	})
	fs := runScan(t, root, scanOpts{})
	got := only(hits(fs), "k8s-namespace-no-network-policy")
	want := []hit{
		// The first workload of the namespace, in path order.
		{Rule: "k8s-namespace-no-network-policy", Path: "billing/a-job.yaml", Line: 6, Resource: "Deployment/billing/job"},
		{Rule: "k8s-namespace-no-network-policy", Path: "data/db.yaml", Line: 11, Resource: "Deployment/data/db"},
		{Rule: "k8s-namespace-no-network-policy", Path: "ignored/queue.yaml", Line: 6, Resource: "Deployment/queue/q", Suppressed: true},
		{Rule: "k8s-namespace-no-network-policy", Path: "nons/pod.yaml", Line: 3, Resource: "Pod/p"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

// Parallel workers must not change the result: two scans are identical.
func TestScannerDeterministic(t *testing.T) {
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("ns%d/app%d.yaml", i%3, i)] = fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app%d\n  namespace: ns%d\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers:\n        - name: c\n          image: nginx\n", i, i%3)
	}
	root := writeTree(t, t.TempDir(), files)
	first := hits(runScan(t, root, scanOpts{}))
	for range 3 {
		if diff := cmp.Diff(hits(runScan(t, root, scanOpts{})), first); diff != "" {
			t.Fatalf("second scan differs (-got +want):\n%s", diff)
		}
	}
	if len(only(first, "k8s-namespace-no-network-policy")) != 3 {
		t.Errorf("want one k8s-namespace-no-network-policy per namespace: %v", only(first, "k8s-namespace-no-network-policy"))
	}
}

func TestScannerResources(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"a.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
		"Dockerfile": "FROM scratch\n",
		"other.yaml": "not: kubernetes\n",
	})
	target, err := scan.NewDir(root, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc := New(Options{Engine: builtinEngine(t)})
	r := scan.Runner{Analyzers: sc.Analyzers()}
	if _, err := r.Run(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	got := sc.Resources()
	sort.Slice(got, func(i, j int) bool { return got[i].Path+fmt.Sprint(got[i].Line) < got[j].Path+fmt.Sprint(got[j].Line) })
	want := []Resource{
		{Input: "dockerfile", Resource: finding.Resource{Kind: "Dockerfile"}, Path: "Dockerfile", Line: 1},
		{Input: "kubernetes", Resource: finding.Resource{Kind: "ConfigMap", Namespace: "ns", Name: "cm"}, Path: "a.yaml", Line: 1},
		{Input: "kubernetes", Resource: finding.Resource{Kind: "Secret", Name: "s"}, Path: "a.yaml", Line: 7},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Resources (-got +want):\n%s", diff)
	}
}

// conftestPolicies writes Conftest-style policies: deny in Rego v0 syntax,
// warn in v1, and a Dockerfile rule over Conftest's flat command list.
func conftestPolicies(t *testing.T) string {
	t.Helper()
	return writeTree(t, t.TempDir(), map[string]string{
		"deployment.rego": `package main

deny[msg] {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("Deployment %s must run as non-root", [input.metadata.name])
}
`,
		"service.rego": `package main

import rego.v1

warn contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	msg := sprintf("Service %s is exposed to the internet", [input.metadata.name])
}
`,
		"docker.rego": `package main

deny[msg] {
	input[i].Cmd == "from"
	val := input[i].Value
	endswith(val[0], ":latest")
	msg := sprintf("unpinned base image %s", [val[0]])
}

warn[msg] {
	input[i].Cmd == "onbuild"
	msg := sprintf("ONBUILD %s runs in images built from this one", [input[i].SubCmd])
}
`,
		"other.rego": `package notmain

deny[msg] {
	msg := "a package other than main is not evaluated"
}
`,
	})
}

func TestScannerConftestPolicies(t *testing.T) {
	eng, err := policy.Load(context.Background(), policy.Options{Dirs: []string{conftestPolicies(t)}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	root := writeTree(t, t.TempDir(), map[string]string{
		"app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers: []
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: safe
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
`,
		"Dockerfile": "FROM golang:latest AS build\nONBUILD RUN make\nFROM alpine:3.20\n",
	})
	fs := runScan(t, root, scanOpts{eng: eng})
	if errs := errorsOf(fs); len(errs) > 0 {
		t.Fatalf("error findings: %+v", errs)
	}
	type result struct {
		Rule     string
		Severity finding.Severity
		Path     string
		Line     int
		Message  string
	}
	var got []result
	for _, f := range fs {
		got = append(got, result{f.RuleID, f.Severity, f.Location.Path, f.Location.StartLine, f.Message})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Path+got[i].Message < got[j].Path+got[j].Message })
	want := []result{
		{Rule: "main.warn", Severity: finding.SeverityLow, Path: "Dockerfile", Line: 1, Message: "ONBUILD RUN runs in images built from this one"},
		{Rule: "main.deny", Severity: finding.SeverityHigh, Path: "Dockerfile", Line: 1, Message: "unpinned base image golang:latest"},
		{Rule: "main.deny", Severity: finding.SeverityHigh, Path: "app.yaml", Line: 1, Message: "Deployment web must run as non-root"},
		{Rule: "main.warn", Severity: finding.SeverityLow, Path: "app.yaml", Line: 10, Message: "Service web is exposed to the internet"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Conftest findings (-got +want):\n%s", diff)
	}
}

// Conftest policies run beside the bundled ones.
func TestScannerConftestWithBuiltin(t *testing.T) {
	eng, err := policy.Load(context.Background(), policy.Options{Dirs: []string{conftestPolicies(t)}})
	if err != nil {
		t.Fatal(err)
	}
	root := writeTree(t, t.TempDir(), map[string]string{"Dockerfile": "FROM golang:latest\nUSER root\n"})
	var got []string
	for _, h := range hits(runScan(t, root, scanOpts{eng: eng})) {
		if h.Rule == "main.deny" || h.Rule == "dockerfile-root-user" || h.Rule == "dockerfile-unpinned-base" {
			got = append(got, h.Rule)
		}
	}
	sort.Strings(got)
	want := []string{"dockerfile-root-user", "dockerfile-unpinned-base", "main.deny"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("rules (-got +want):\n%s", diff)
	}
}
