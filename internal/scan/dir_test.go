package scan

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles writes files (slash paths relative to dir) and returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
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

// walked is a file as a walk reports it.
type walked struct {
	Path string
	Size int64
	Data string
	Err  string
}

// walk walks the target and reads every file.
func walk(t *testing.T, d *Dir) []walked {
	t.Helper()
	var out []walked
	err := d.Walk(context.Background(), func(f File) error {
		w := walked{Path: f.Path, Size: f.Size}
		b, err := f.Read()
		if err != nil {
			w.Err = err.Error()
		} else {
			w.Data = string(b)
		}
		out = append(out, w)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func problemPaths(d *Dir) []string {
	out := []string{}
	for _, p := range d.Problems() {
		out = append(out, p.Path)
	}
	sort.Strings(out)
	return out
}

func newDir(t *testing.T, root string, opts DirOptions) *Dir {
	t.Helper()
	d, err := NewDir(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirWalk(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{
		"a.yaml":        "a",
		"sub/b.yaml":    "bb",
		"sub/deep/c":    "ccc",
		".hidden/d.txt": "dddd",
		"empty":         "",
	})
	d := newDir(t, root, DirOptions{})
	got := walk(t, d)
	want := []walked{
		{Path: ".hidden/d.txt", Size: 4, Data: "dddd"},
		{Path: "a.yaml", Size: 1, Data: "a"},
		{Path: "empty", Size: 0, Data: ""},
		{Path: "sub/b.yaml", Size: 2, Data: "bb"},
		{Path: "sub/deep/c", Size: 3, Data: "ccc"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("walk (-got +want):\n%s", diff)
	}
	if len(d.Problems()) != 0 {
		t.Errorf("problems: %v", d.Problems())
	}
	if d.Root() != root || d.LocalDir() != root {
		t.Errorf("Root %q LocalDir %q, want %q", d.Root(), d.LocalDir(), root)
	}
	if b, err := fs.ReadFile(d.FS(), "sub/b.yaml"); err != nil || string(b) != "bb" {
		t.Errorf("FS().ReadFile = %q, %v", b, err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestDirSingleFile(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{"dir/pod.yaml": "kind: Pod\n", "dir/other.yaml": "x"})
	d := newDir(t, filepath.Join(root, "dir", "pod.yaml"), DirOptions{})
	want := []walked{{Path: "pod.yaml", Size: 10, Data: "kind: Pod\n"}}
	if diff := cmp.Diff(walk(t, d), want); diff != "" {
		t.Errorf("walk (-got +want):\n%s", diff)
	}
	if d.LocalDir() != filepath.Join(root, "dir") {
		t.Errorf("LocalDir = %q, want the file's directory", d.LocalDir())
	}
}

func TestNewDirMissing(t *testing.T) {
	if _, err := NewDir(filepath.Join(t.TempDir(), "nope"), DirOptions{}); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NewDir(missing) error = %v, want ErrNotExist", err)
	}
}

func TestDirSkips(t *testing.T) {
	files := map[string]string{}
	for _, p := range []string{
		"keep.yaml",
		".git/config", ".git/objects/x.yaml",
		"node_modules/pkg/pod.yaml", "web/node_modules/pod.yaml",
		"vendor/pod.yaml", "app/vendor/pod.yaml",
		".terraform/m.yaml", ".hg/x", ".svn/x",
		"vendored/keep.yaml",
		"generated/pod.yaml", "app/generated/pod.yaml",
		"deploy/legacy/pod.yaml", "legacy/keep.yaml",
		"tmp-1/pod.yaml", "tmp/keep.yaml",
		"deploy/db.secret.yaml", "deploy/keep.yaml", "deploy/skip-me.yaml", "other/skip-me.yaml",
		"build/out.json", "build/keep.yaml",
	} {
		files[p] = "x"
	}
	root := writeFiles(t, t.TempDir(), files)
	d := newDir(t, root, DirOptions{
		SkipDirs:  []string{"generated", "deploy/legacy/", "tmp-*"},
		SkipFiles: []string{"*.secret.yaml", "deploy/skip-me.yaml", "build/*.json"},
	})
	var got []string
	for _, w := range walk(t, d) {
		got = append(got, w.Path)
	}
	want := []string{"build/keep.yaml", "deploy/keep.yaml", "keep.yaml", "legacy/keep.yaml", "other/skip-me.yaml", "tmp/keep.yaml", "vendored/keep.yaml"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("walked (-got +want):\n%s", diff)
	}
}

// The root itself is walked even when its name is one of the skipped ones.
func TestDirRootNamedLikeSkippedDir(t *testing.T) {
	root := writeFiles(t, filepath.Join(t.TempDir(), "vendor"), map[string]string{"pod.yaml": "x", "vendor/inner.yaml": "y"})
	var got []string
	for _, w := range walk(t, newDir(t, root, DirOptions{})) {
		got = append(got, w.Path)
	}
	if diff := cmp.Diff(got, []string{"pod.yaml"}); diff != "" {
		t.Errorf("walked (-got +want):\n%s", diff)
	}
}

func TestMatchAny(t *testing.T) {
	tests := []struct {
		patterns []string
		path     string
		want     bool
	}{
		{patterns: []string{"vendor"}, path: "a/vendor", want: true},
		{patterns: []string{"a/vendor"}, path: "a/vendor", want: true},
		{patterns: []string{"a/vendor/"}, path: "a/vendor", want: true},
		{patterns: []string{"b/vendor"}, path: "a/vendor", want: false},
		{patterns: []string{"*.yaml"}, path: "x/y.yaml", want: true},
		{patterns: []string{"x/*.yaml"}, path: "x/y.yaml", want: true},
		{patterns: []string{"*/y.yaml"}, path: "a/x/y.yaml", want: false},
		{patterns: []string{"[bad"}, path: "a/[bad", want: true},
		{patterns: []string{"[bad"}, path: "a/bad", want: false},
		{patterns: nil, path: "a", want: false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.patterns, ",")+" "+tt.path, func(t *testing.T) {
			if got := matchAny(tt.patterns, tt.path, filepath.Base(tt.path)); got != tt.want {
				t.Errorf("matchAny(%q, %q) = %v, want %v", tt.patterns, tt.path, got, tt.want)
			}
		})
	}
}

func TestDirSymlinks(t *testing.T) {
	outside := writeFiles(t, t.TempDir(), map[string]string{"secret.yaml": "outside"})
	root := writeFiles(t, t.TempDir(), map[string]string{"app/pod.yaml": "inside"})
	for link, target := range map[string]string{
		"app/loop":      "..",
		"app/self":      ".",
		"link.yaml":     "app/pod.yaml",
		"abs-link.yaml": filepath.Join(root, "app", "pod.yaml"),
		"out.yaml":      filepath.Join(outside, "secret.yaml"),
		"out-rel.yaml":  filepath.Join("..", filepath.Base(outside), "secret.yaml"),
		"outdir":        outside,
		"dangling.yaml": "nowhere",
		"a.yaml":        "b.yaml",
		"b.yaml":        "a.yaml",
		"dirlink":       "app",
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	d := newDir(t, root, DirOptions{})
	got := walk(t, d)
	want := []walked{
		{Path: "abs-link.yaml", Size: 6, Data: "inside"},
		{Path: "app/pod.yaml", Size: 6, Data: "inside"},
		{Path: "link.yaml", Size: 6, Data: "inside"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("walk (-got +want):\n%s", diff)
	}
	wantProblems := []string{"a.yaml", "b.yaml", "dangling.yaml", "out-rel.yaml", "out.yaml", "outdir"}
	if diff := cmp.Diff(problemPaths(d), wantProblems); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
	for _, p := range d.Problems() {
		if strings.HasPrefix(p.Path, "out") && !strings.Contains(p.Err.Error(), "outside the scan root") {
			t.Errorf("%s: %v, want it to say outside the scan root", p.Path, p.Err)
		}
	}
	// A second walk starts with no problems of its own.
	walk(t, d)
	if diff := cmp.Diff(problemPaths(d), wantProblems); diff != "" {
		t.Errorf("problems after a second walk (-got +want):\n%s", diff)
	}
}

// The scan root may itself be a link.
func TestDirSymlinkedRoot(t *testing.T) {
	parent := t.TempDir()
	real := writeFiles(t, filepath.Join(parent, "real"), map[string]string{"a.yaml": "a"})
	if err := os.Symlink("a.yaml", filepath.Join(real, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	d := newDir(t, link, DirOptions{})
	want := []walked{{Path: "a.yaml", Size: 1, Data: "a"}, {Path: "link.yaml", Size: 1, Data: "a"}}
	if diff := cmp.Diff(walk(t, d), want); diff != "" {
		t.Errorf("walk (-got +want):\n%s", diff)
	}
	if len(d.Problems()) != 0 {
		t.Errorf("problems: %v", d.Problems())
	}
}

// Named pipes, sockets and devices are not regular files: never opened
// (opening a pipe would block the scan).
func TestDirSpecialFiles(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{"a.yaml": "a"})
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("pipe.yaml", filepath.Join(root, "pipe-link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", filepath.Join(root, "null.yaml")); err != nil {
		t.Fatal(err)
	}
	d := newDir(t, root, DirOptions{})
	want := []walked{{Path: "a.yaml", Size: 1, Data: "a"}}
	if diff := cmp.Diff(walk(t, d), want); diff != "" {
		t.Errorf("walk (-got +want):\n%s", diff)
	}
	// /dev/null is outside the root: reported, not read.
	if diff := cmp.Diff(problemPaths(d), []string{"null.yaml"}); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
}

func TestDirMaxFileSize(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{"small": "12345", "exact": "1234567890", "big": "12345678901"})
	d := newDir(t, root, DirOptions{MaxFileSize: 10})
	got := walk(t, d)
	if len(got) != 3 {
		t.Fatalf("walked %v, want all three files (too large ones fail to read)", got)
	}
	for _, w := range got {
		switch w.Path {
		case "big":
			if !strings.Contains(w.Err, "file too large") || !strings.Contains(w.Err, "11 bytes is over the 10 byte limit") {
				t.Errorf("big: %+v, want a too-large error", w)
			}
		default:
			if w.Err != "" {
				t.Errorf("%s: %s", w.Path, w.Err)
			}
		}
	}
}

func TestDirDefaultMaxFileSize(t *testing.T) {
	d := newDir(t, t.TempDir(), DirOptions{MaxFileSize: -1})
	if d.opts.MaxFileSize != DefaultMaxFileSize {
		t.Errorf("MaxFileSize = %d, want the default %d", d.opts.MaxFileSize, DefaultMaxFileSize)
	}
}

// A file that grows between the walk and the read is still cut at the limit;
// one removed in between fails to read.
func TestDirFileChangesAfterWalk(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{"grows": "123", "gone": "x"})
	d := newDir(t, root, DirOptions{MaxFileSize: 10})
	files := map[string]File{}
	if err := d.Walk(context.Background(), func(f File) error { files[f.Path] = f; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "grows"), []byte(strings.Repeat("x", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "gone")); err != nil {
		t.Fatal(err)
	}
	if b, err := files["grows"].Read(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(grows) = %d bytes, %v; want ErrTooLarge", len(b), err)
	}
	if _, err := files["gone"].Read(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(gone): %v, want ErrNotExist", err)
	}
}

func TestDirWalkStops(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{"a": "a", "b": "b", "c": "c"})
	d := newDir(t, root, DirOptions{})

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := d.Walk(ctx, func(File) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("Walk with a cancelled context: %v after %d files, want Canceled after 1", err, n)
	}

	stop := errors.New("stop")
	n = 0
	err = d.Walk(context.Background(), func(File) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Walk: %v after %d files, want the callback's error after 1", err, n)
	}
}
