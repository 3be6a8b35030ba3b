package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/rampart-sec/rampart/internal/scan"
)

// baseAndOverlay is a base used by one overlay that renames and patches it.
// Line numbers of base/deployment.yaml are in its comments.
func baseAndOverlay() map[string]string {
	return map[string]string{
		"base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - service.yaml\n",
		"base/deployment.yaml": `apiVersion: apps/v1          # 1
kind: Deployment             # 2
metadata:                    # 3
  name: web                  # 4
spec:                        # 5
  selector:                  # 6
    matchLabels:             # 7
      app: web               # 8
  template:                  # 9
    metadata:                # 10
      labels:                # 11
        app: web             # 12
    spec:                    # 13
      containers:            # 14
        - name: web          # 15
          image: nginx:1.27  # 16
          securityContext:   # 17
            privileged: true # 18
`,
		"base/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector:\n    app: web\n",
		"overlays/prod/kustomization.yaml": `namePrefix: prod-
namespace: shop
resources:
  - ../../base
patches:
  - path: hostpid.yaml
`,
		// A patch is a partial manifest: never reported on its own.
		"overlays/prod/hostpid.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      hostPID: true
      hostIPC: true
`,
	}
}

func TestKustomizeOverlay(t *testing.T) {
	root := writeTree(t, t.TempDir(), baseAndOverlay())
	fs := runScan(t, root, scanOpts{})
	if errs := errorsOf(fs); len(errs) > 0 {
		t.Fatalf("error findings: %+v", errs)
	}
	got := only(hits(fs), "k8s-pss-privileged", "k8s-pss-host-namespaces", "k8s-service-nodeport", "k8s-default-namespace", "k8s-namespace-no-network-policy")
	want := []hit{
		// A field the patch added points at the deepest part of the base
		// document that has it.
		{Rule: "k8s-pss-host-namespaces", Path: "base/deployment.yaml", Line: 13, Resource: "Deployment/shop/prod-web"}, // hostIPC
		{Rule: "k8s-pss-host-namespaces", Path: "base/deployment.yaml", Line: 13, Resource: "Deployment/shop/prod-web"}, // hostPID
		{Rule: "k8s-pss-privileged", Path: "base/deployment.yaml", Line: 18, Resource: "Deployment/shop/prod-web"},
		{Rule: "k8s-service-nodeport", Path: "base/service.yaml", Line: 6, Resource: "Service/shop/prod-web"},
	}
	// The namespace set by the overlay is in no file: the set-level rule
	// points at the base document's metadata.
	if n := len(only(hits(fs), "k8s-namespace-no-network-policy")); n != 1 {
		t.Errorf("got %d k8s-namespace-no-network-policy findings, want 1", n)
	}
	got = only(got, "k8s-pss-privileged", "k8s-pss-host-namespaces", "k8s-service-nodeport", "k8s-default-namespace")
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	for _, f := range fs {
		switch {
		case strings.HasPrefix(f.Location.Path, "overlays/"):
			t.Errorf("%s reported in %s: patches and kustomizations are inputs, not manifests", f.RuleID, f.Location.Path)
		case f.Resource != nil && f.Resource.Name == "web":
			t.Errorf("%s reported for %s: the base is judged only as the overlay builds it", f.RuleID, f.Resource)
		}
	}
}

// The scan root may be given through a symbolic link (on macOS, every
// temporary directory is under the /var → /private/var link).
func TestKustomizeSymlinkedRoot(t *testing.T) {
	parent := t.TempDir()
	root := writeTree(t, filepath.Join(parent, "real"), baseAndOverlay())
	link := filepath.Join(parent, "link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	fs := runScan(t, link, scanOpts{})
	if errs := errorsOf(fs); len(errs) > 0 {
		t.Fatalf("error findings: %+v", errs)
	}
	want := []hit{{Rule: "k8s-pss-privileged", Path: "base/deployment.yaml", Line: 18, Resource: "Deployment/shop/prod-web"}}
	if diff := cmp.Diff(only(hits(fs), "k8s-pss-privileged"), want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

// A kustomization that no other one uses is built on its own; plain
// manifests elsewhere are still scanned directly.
func TestKustomizeStandaloneAndPlain(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"app/kustomization.yaml": "resources:\n- pod.yaml\nlabels:\n- pairs:\n    team: a\n",
		"app/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: busybox:1.36\n",
		"app/unused.yaml":        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: unused\nspec:\n  hostPID: true\n",
		"plain/pod.yaml":         "apiVersion: v1\nkind: Pod\nmetadata:\n  name: plain\nspec:\n  hostPID: true\n",
	})
	got := only(hits(runScan(t, root, scanOpts{})), "k8s-pss-host-namespaces")
	want := []hit{
		{Rule: "k8s-pss-host-namespaces", Path: "app/pod.yaml", Line: 6, Resource: "Pod/p"},
		{Rule: "k8s-pss-host-namespaces", Path: "plain/pod.yaml", Line: 6, Resource: "Pod/plain"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

func TestKustomizeInlineIgnore(t *testing.T) {
	files := baseAndOverlay()
	files["base/deployment.yaml"] = strings.Replace(files["base/deployment.yaml"],
		"            privileged: true # 18\n",
		"            privileged: true # rampart:ignore:k8s-pss-privileged vetted\n", 1)
	root := writeTree(t, t.TempDir(), files)
	var n int
	for _, f := range runScan(t, root, scanOpts{}) {
		if f.RuleID == "k8s-pss-privileged" {
			n++
			if !f.Suppressed || f.Suppression.Reason != "vetted" {
				t.Errorf("k8s-pss-privileged at %s: suppressed %v, want suppressed by the base file's comment", f.Location, f.Suppressed)
			}
		} else if f.Suppressed {
			t.Errorf("%s is suppressed too", f.RuleID)
		}
	}
	if n != 1 {
		t.Errorf("got %d k8s-pss-privileged findings, want 1", n)
	}
}

func TestKustomizeBuildError(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"app/kustomization.yaml": "resources:\n- missing.yaml\n",
		"app/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n",
	})
	fs := runScan(t, root, scanOpts{})
	errs := errorsOf(fs)
	if len(errs) != 1 || errs[0].Location.Path != "app/kustomization.yaml" || !strings.Contains(errs[0].Message, "kustomize build app") {
		t.Fatalf("error findings %+v, want one build error on app/kustomization.yaml", errs)
	}
	// The files beside a kustomization are its inputs even when the build
	// fails.
	if len(fs) != 1 {
		t.Errorf("got %v, want only the error", hits(fs))
	}
}

// countingServer is a loopback HTTP server that counts requests: the
// scanner must never make one.
func countingServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fetched\nspec:\n  hostPID: true\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func TestKustomizeRemoteResources(t *testing.T) {
	url, requests := countingServer(t)
	tests := []struct {
		name string
		kust string
	}{
		{name: "github shorthand", kust: "resources:\n- github.com/x/y?ref=v1\n"},
		{name: "https git", kust: "resources:\n- https://github.com/x/y//deploy?ref=v1\n"},
		{name: "ssh", kust: "resources:\n- git@github.com:x/y.git\n"},
		{name: "bases", kust: "bases:\n- https://gitlab.com/x/y.git//base\n"},
		{name: "components", kust: "components:\n- ssh://git@example.com/x/y.git\n"},
		{name: "http resource on loopback", kust: "resources:\n- " + url + "/pod.yaml\n"},
		{name: "patch on loopback", kust: "resources:\n- pod.yaml\npatches:\n- path: " + url + "/patch.yaml\n"},
		{name: "generator file on loopback", kust: "resources:\n- pod.yaml\nconfigMapGenerator:\n- name: c\n  files:\n  - " + url + "/f.txt\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := requests.Load()
			root := writeTree(t, t.TempDir(), map[string]string{
				"app/kustomization.yaml": tt.kust,
				"app/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: local\n",
			})
			fs := runScan(t, root, scanOpts{})
			if n := requests.Load() - before; n != 0 {
				t.Errorf("the scan made %d HTTP requests", n)
			}
			errs := errorsOf(fs)
			if len(errs) != 1 || errs[0].Location.Path != "app/kustomization.yaml" {
				t.Fatalf("error findings %+v, want one on app/kustomization.yaml", errs)
			}
			for _, f := range fs {
				if f.Resource != nil && f.Resource.Name == "fetched" {
					t.Errorf("%s reported for a fetched resource", f.RuleID)
				}
			}
		})
	}
}

// The error must say why the build failed: the remote base is not fetched.
func TestKustomizeRemoteResourceMessage(t *testing.T) {
	root := writeTree(t, t.TempDir(), map[string]string{
		"app/kustomization.yaml": "resources:\n- github.com/x/y?ref=v1\n",
	})
	errs := errorsOf(runScan(t, root, scanOpts{}))
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "not fetched") || errs[0].Location.StartLine != 2 {
		t.Errorf("error findings %+v, want one at app/kustomization.yaml:2 saying the remote resource is not fetched", errs)
	}
}

func TestKustomizeOutsideRoot(t *testing.T) {
	parent := t.TempDir()
	outside := writeTree(t, filepath.Join(parent, "outside"), map[string]string{
		"kustomization.yaml": "resources:\n- pod.yaml\n",
		"pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: outside\nspec:\n  hostPID: true\n",
	})
	tests := []struct {
		name  string
		files map[string]string
		links map[string]string // link → target
	}{
		{name: "directory", files: map[string]string{"app/kustomization.yaml": "resources:\n- ../../outside\n"}},
		{name: "file", files: map[string]string{"app/kustomization.yaml": "resources:\n- ../../outside/pod.yaml\n"}},
		{name: "absolute path", files: map[string]string{"app/kustomization.yaml": "resources:\n- " + outside + "\n"}},
		{
			name:  "symbolic link to a file",
			files: map[string]string{"app/kustomization.yaml": "resources:\n- pod.yaml\n"},
			links: map[string]string{"app/pod.yaml": filepath.Join(outside, "pod.yaml")},
		},
		{
			name:  "symbolic link to a directory",
			files: map[string]string{"app/kustomization.yaml": "resources:\n- base\n"},
			links: map[string]string{"app/base": outside},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, filepath.Join(parent, "root-"+strings.ReplaceAll(tt.name, " ", "-")), tt.files)
			for link, target := range tt.links {
				if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
					t.Fatal(err)
				}
			}
			fs := runScan(t, root, scanOpts{})
			for _, f := range fs {
				if f.Resource != nil && f.Resource.Name == "outside" {
					t.Errorf("%s reported for a resource outside the scan root", f.RuleID)
				}
			}
			var buildErr bool
			for _, e := range errorsOf(fs) {
				if e.Location.Path == "app/kustomization.yaml" {
					buildErr = true
				}
			}
			if !buildErr {
				t.Errorf("findings %v, want a build error on app/kustomization.yaml", hits(fs))
			}
		})
	}
}

func TestIsRemote(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{ref: "../base", want: false},
		{ref: "deployment.yaml", want: false},
		{ref: "github-actions/x.yaml", want: false},
		{ref: "github.com/org/repo/deploy?ref=v1.0.0", want: true},
		{ref: "https://example.com/org/repo.git", want: true},
		{ref: "http://127.0.0.1/x.yaml", want: true},
		{ref: "git@github.com:org/repo.git", want: true},
		{ref: "ssh://git@example.com/org/repo.git", want: true},
		{ref: "gitlab.com/org/repo", want: true},
		{ref: "bitbucket.org/org/repo", want: true},
		{ref: "example.com/org/repo.git//deploy", want: true},
		{ref: "file:///etc/kubernetes", want: true},
		{ref: "GitHub.com/org/repo", want: true},
		{ref: "deploy@git.example.com:org/repo.git", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			if got := isRemote(tt.ref); got != tt.want {
				t.Errorf("isRemote(%q) = %v, want %v", tt.ref, got, tt.want)
			}
		})
	}
}

func TestWithOriginAnnotations(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string // buildMetadata after the rewrite
		wantErr string
	}{
		{name: "adds buildMetadata", src: "resources:\n- a.yaml\n", want: "[originAnnotations]"},
		{name: "keeps existing buildMetadata", src: "buildMetadata: [managedByLabel]\nresources:\n- a.yaml\n", want: "[managedByLabel originAnnotations]"},
		{name: "remote resource", src: "namePrefix: x-\nresources:\n- a.yaml\n- github.com/x/y?ref=v1\n", wantErr: `kustomization.yaml:4: remote resources "github.com/x/y?ref=v1" is not fetched`},
		{name: "remote component", src: "components:\n- https://example.com/c.git\n", wantErr: "remote components"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := withOriginAnnotations("kustomization.yaml", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var k struct {
				BuildMetadata []string `yaml:"buildMetadata"`
				Resources     []string `yaml:"resources"`
			}
			if err := yaml.Unmarshal(out, &k); err != nil {
				t.Fatalf("rewritten kustomization does not parse: %v\n%s", err, out)
			}
			if got := fmt.Sprint(k.BuildMetadata); got != tt.want {
				t.Errorf("buildMetadata = %s, want %s", got, tt.want)
			}
			if diff := cmp.Diff(k.Resources, []string{"a.yaml"}); diff != "" {
				t.Errorf("resources changed (-got +want):\n%s", diff)
			}
		})
	}
	// Invalid YAML is left for kustomize to report.
	src := []byte("resources: [\n")
	out, err := withOriginAnnotations("kustomization.yaml", src)
	if err != nil || string(out) != string(src) {
		t.Errorf("withOriginAnnotations(invalid) = %q, %v; want the source unchanged", out, err)
	}
}

func TestConfinedFS(t *testing.T) {
	parent := t.TempDir()
	root := writeTree(t, filepath.Join(parent, "root"), map[string]string{"in.yaml": "a: 1\n", "kustomization.yaml": "resources: [in.yaml]\n"})
	writeTree(t, parent, map[string]string{"secret.txt": "s3cret\n"})
	if err := os.Symlink(filepath.Join(parent, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(root, "big.yaml")
	if err := os.WriteFile(big, make([]byte, scan.DefaultMaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	c := &confinedFS{FileSystem: filesys.MakeFsOnDisk(), root: realRoot}

	if b, err := c.ReadFile(filepath.Join(root, "in.yaml")); err != nil || string(b) != "a: 1\n" {
		t.Errorf("ReadFile(in.yaml) = %q, %v", b, err)
	}
	b, err := c.ReadFile(filepath.Join(root, "kustomization.yaml"))
	if err != nil || !strings.Contains(string(b), "originAnnotations") {
		t.Errorf("ReadFile(kustomization.yaml) = %q, %v; want originAnnotations added", b, err)
	}
	for _, p := range []string{
		filepath.Join(parent, "secret.txt"),
		filepath.Join(root, "..", "secret.txt"),
		filepath.Join(root, "link.txt"),
		"/etc/passwd",
	} {
		if b, err := c.ReadFile(p); !errors.Is(err, errOutsideRoot) {
			t.Errorf("ReadFile(%s) = %q, %v; want errOutsideRoot", p, b, err)
		}
		if _, err := c.Open(p); !errors.Is(err, errOutsideRoot) {
			t.Errorf("Open(%s): %v, want errOutsideRoot", p, err)
		}
		if c.Exists(p) || c.IsDir(p) {
			t.Errorf("%s exists for the confined filesystem", p)
		}
	}
	if _, err := c.ReadDir(parent); !errors.Is(err, errOutsideRoot) {
		t.Errorf("ReadDir(parent): %v, want errOutsideRoot", err)
	}
	if _, err := c.ReadFile(big); !errors.Is(err, scan.ErrTooLarge) {
		t.Errorf("ReadFile(big): %v, want ErrTooLarge", err)
	}
	for name, err := range map[string]error{
		"WriteFile": c.WriteFile(filepath.Join(root, "w"), []byte("x")),
		"Mkdir":     c.Mkdir(filepath.Join(root, "d")),
		"MkdirAll":  c.MkdirAll(filepath.Join(root, "d/e")),
		"RemoveAll": c.RemoveAll(filepath.Join(root, "in.yaml")),
	} {
		if !errors.Is(err, errReadOnly) {
			t.Errorf("%s: %v, want errReadOnly", name, err)
		}
	}
	if _, err := c.Create(filepath.Join(root, "new")); !errors.Is(err, errReadOnly) {
		t.Errorf("Create: %v, want errReadOnly", err)
	}
	if _, err := os.Stat(filepath.Join(root, "in.yaml")); err != nil {
		t.Errorf("in.yaml is gone: %v", err)
	}
}
