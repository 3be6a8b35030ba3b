package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/ignore"
	"github.com/rampart-sec/rampart/internal/scan"
)

// kustomizationNames are the file names kustomize looks for.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// originAnnotation is where kustomize records which file a resource came
// from when a kustomization asks for buildMetadata: [originAnnotations].
const originAnnotation = "config.kubernetes.io/origin"

// localDir is implemented by targets that are directories on disk.
type localDir interface{ LocalDir() string }

// kustomizeAnalyzer builds each kustomization with the kustomize API and
// evaluates the output. Findings point at the file each resource came from,
// and those files are not scanned again on their own.
type kustomizeAnalyzer struct {
	eval *evaluator
	log  *slog.Logger

	builds map[string]*kustomizeBuild // kustomization file → its build
	files  map[string]scan.File
}

type kustomizeBuild struct {
	resources []*resource.Resource
	err       error
}

var (
	_ scan.Analyzer = (*kustomizeAnalyzer)(nil)
	_ scan.Preparer = (*kustomizeAnalyzer)(nil)
)

func (a *kustomizeAnalyzer) Name() string { return "kustomize" }

// Prepare builds every kustomization and claims the files the builds read,
// so that a base is reported once, as its overlays see it.
func (a *kustomizeAnalyzer) Prepare(ctx context.Context, t scan.Target, files []scan.File) ([]string, error) {
	a.builds, a.files = map[string]*kustomizeBuild{}, map[string]scan.File{}
	for _, f := range files {
		a.files[f.Path] = f
	}
	var kfiles []string
	for _, f := range files {
		if isKustomization(f.Path) {
			kfiles = append(kfiles, f.Path)
		}
	}
	if len(kfiles) == 0 {
		return nil, nil
	}
	ld, ok := t.(localDir)
	if !ok {
		a.log.Warn("kustomizations are built only in local directories", "target", t.Root())
		return nil, nil
	}
	root, err := filepath.Abs(ld.LocalDir())
	if err != nil {
		return nil, err
	}
	// inside() resolves links, so the root must be resolved too.
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, err
	}
	fsys := &confinedFS{FileSystem: filesys.MakeFsOnDisk(), root: root}
	k := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: types.LoadRestrictionsRootOnly,
		PluginConfig:     types.DisabledPluginConfig(),
	})
	claimed := map[string]bool{}
	sort.Strings(kfiles)
	nested := a.nestedKustomizations(kfiles)
	for _, kf := range kfiles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := path.Dir(kf)
		// Refuse remote references before kustomize sees them: it would
		// fetch them, and it reports a failed read of a kustomization only
		// as "unable to find one of kustomization.yaml...".
		if src, err := a.files[kf].Read(); err == nil {
			if err := checkRemote(kf, src); err != nil {
				a.builds[kf] = &kustomizeBuild{err: err}
				continue
			}
		}
		// The files beside a kustomization (patches, generator inputs) are
		// its inputs, not manifests of their own.
		for p := range a.files {
			if path.Dir(p) == dir {
				claimed[p] = true
			}
		}
		if nested[dir] {
			continue // built as part of the overlays that use it
		}
		b := &kustomizeBuild{}
		a.builds[kf] = b
		rm, err := k.Run(fsys, filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			b.err = fmt.Errorf("kustomize build %s: %w", dir, err)
			continue
		}
		b.resources = rm.Resources()
		for _, r := range b.resources {
			if p := originPath(r, dir); p != "" {
				claimed[p] = true
			}
		}
	}
	out := make([]string, 0, len(claimed))
	for p := range claimed {
		out = append(out, p)
	}
	return out, nil
}

// nestedKustomizations finds kustomization directories that another
// kustomization in the scan uses as a resource or component. Only the
// outermost ones are built: a base is judged as its overlays deploy it, not
// again on its own with settings the overlays change.
func (a *kustomizeAnalyzer) nestedKustomizations(kfiles []string) map[string]bool {
	dirs := map[string]bool{}
	for _, kf := range kfiles {
		dirs[path.Dir(kf)] = true
	}
	nested := map[string]bool{}
	for _, kf := range kfiles {
		src, err := a.files[kf].Read()
		if err != nil {
			continue
		}
		var k struct {
			Resources  []string `yaml:"resources"`
			Bases      []string `yaml:"bases"`
			Components []string `yaml:"components"`
		}
		if yaml.Unmarshal(src, &k) != nil {
			continue
		}
		for _, ref := range slices.Concat(k.Resources, k.Bases, k.Components) {
			if d := path.Clean(path.Join(path.Dir(kf), ref)); dirs[d] && d != path.Dir(kf) {
				nested[d] = true
			}
		}
	}
	return nested
}

func isKustomization(p string) bool {
	base := path.Base(p)
	for _, n := range kustomizationNames {
		if base == n {
			return true
		}
	}
	return false
}

// originPath is the scan-relative file a built resource came from.
func originPath(r *resource.Resource, dir string) string {
	o, err := r.GetOrigin()
	if err != nil || o == nil || o.Path == "" || o.Repo != "" {
		return ""
	}
	return path.Clean(path.Join(dir, filepath.ToSlash(o.Path)))
}

func (a *kustomizeAnalyzer) Match(p string, _ fs.DirEntry) bool {
	_, ok := a.builds[p]
	return ok
}

func (a *kustomizeAnalyzer) Analyze(ctx context.Context, f scan.File) ([]finding.Finding, error) {
	b := a.builds[f.Path]
	if b.err != nil {
		return nil, b.err
	}
	dir := path.Dir(f.Path)
	sources := map[string]*sourceFile{}
	var out []finding.Finding
	for _, r := range b.resources {
		p := originPath(r, dir)
		src := a.source(sources, p)
		if src == nil {
			p, src = f.Path, a.source(sources, f.Path)
		}
		d, err := builtDocument(r)
		if err != nil {
			out = append(out, scan.ErrorFinding(p, err))
			continue
		}
		loc, start := src.locatorFor(r)
		fs, err := a.eval.kubernetes(ctx, p, d, loc, loc, src.inline, start)
		if err != nil {
			return out, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// sourceFile is a file kustomize read, parsed to map fields to its lines.
type sourceFile struct {
	docs   []Document
	inline *ignore.Inline
}

func (a *kustomizeAnalyzer) source(cache map[string]*sourceFile, p string) *sourceFile {
	if p == "" {
		return nil
	}
	if s, ok := cache[p]; ok {
		return s
	}
	f, ok := a.files[p]
	if !ok {
		cache[p] = nil
		return nil
	}
	src, err := f.Read()
	if err != nil {
		cache[p] = nil
		return nil
	}
	nodes, _ := readYAMLNodes(src)
	docs, _ := kubernetesDocuments(nodes)
	s := &sourceFile{docs: docs, inline: ignore.ParseInline(src)}
	cache[p] = s
	return s
}

// locatorFor finds the resource's original document and maps fields to its
// lines; a field that a patch added points at the document's start. The
// built resource no longer knows its original name (namePrefix/nameSuffix are
// applied), so the match is by kind, then by the longest original name
// contained in the built one.
func (s *sourceFile) locatorFor(r *resource.Resource) (locator, int) {
	kind, name := r.CurId().Kind, r.CurId().Name
	var best *Document
	for i := range s.docs {
		d := &s.docs[i]
		if d.Kind != kind || !strings.Contains(name, d.Name) {
			continue
		}
		if best == nil || len(d.Name) > len(best.Name) {
			best = d
		}
	}
	if best == nil {
		return func(string) (int, int) { return 1, 1 }, 1
	}
	d := *best
	return func(field string) (int, int) {
		if field == "" {
			return d.StartLine, d.StartLine
		}
		st, en, _ := locate(d.Node, field)
		return st, en
	}, d.StartLine
}

// builtDocument turns a built resource into a policy input without the
// origin annotation Rampart asked kustomize to add.
func builtDocument(r *resource.Resource) (Document, error) {
	y, err := r.AsYAML()
	if err != nil {
		return Document{}, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(y, &n); err != nil {
		return Document{}, err
	}
	root := &n
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if ann := mapValue(mapValue(root, "metadata"), "annotations"); ann != nil {
		removeKey(ann, originAnnotation)
		if len(ann.Content) == 0 {
			removeKey(mapValue(root, "metadata"), "annotations")
		}
	}
	d, _, err := newDocument(root, 0)
	return d, err
}

func removeKey(m *yaml.Node, key string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// errOutsideRoot is returned for any path outside the scan root.
var errOutsideRoot = errors.New("outside the scan root: not read")

// confinedFS is kustomize's on-disk filesystem, read-only and confined to
// the scan root, so a hostile kustomization cannot read /etc or write
// anything. It also asks kustomize to record each resource's origin file and
// refuses remote bases, which would make the scanner fetch from the network.
type confinedFS struct {
	filesys.FileSystem
	root string
}

func (c *confinedFS) inside(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rel, err := filepath.Rel(c.root, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func (c *confinedFS) Open(p string) (filesys.File, error) {
	if !c.inside(p) {
		return nil, fmt.Errorf("%s: %w", p, errOutsideRoot)
	}
	return c.FileSystem.Open(p)
}

func (c *confinedFS) Exists(p string) bool { return c.inside(p) && c.FileSystem.Exists(p) }
func (c *confinedFS) IsDir(p string) bool  { return c.inside(p) && c.FileSystem.IsDir(p) }

func (c *confinedFS) ReadDir(p string) ([]string, error) {
	if !c.inside(p) {
		return nil, fmt.Errorf("%s: %w", p, errOutsideRoot)
	}
	return c.FileSystem.ReadDir(p)
}

func (c *confinedFS) ReadFile(p string) ([]byte, error) {
	if !c.inside(p) {
		return nil, fmt.Errorf("%s: %w", p, errOutsideRoot)
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if info.Size() > scan.DefaultMaxFileSize {
		return nil, fmt.Errorf("%s: %w", p, scan.ErrTooLarge)
	}
	b, err := c.FileSystem.ReadFile(p)
	if err != nil || !isKustomization(filepath.ToSlash(p)) {
		return b, err
	}
	return withOriginAnnotations(p, b)
}

func (c *confinedFS) Create(p string) (filesys.File, error) { return nil, errReadOnly }
func (c *confinedFS) Mkdir(string) error                    { return errReadOnly }
func (c *confinedFS) MkdirAll(string) error                 { return errReadOnly }
func (c *confinedFS) RemoveAll(string) error                { return errReadOnly }
func (c *confinedFS) WriteFile(string, []byte) error        { return errReadOnly }

var errReadOnly = errors.New("the scanner never writes")

// withOriginAnnotations adds originAnnotations to a kustomization's
// buildMetadata and rejects remote resources.
func withOriginAnnotations(p string, src []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil || n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return src, nil // kustomize reports the syntax error itself
	}
	root := n.Content[0]
	if root.Kind != yaml.MappingNode {
		return src, nil
	}
	if err := remoteIn(p, root); err != nil {
		return nil, err
	}
	bm := mapValue(root, "buildMetadata")
	if bm == nil {
		root.Content = append(root.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "buildMetadata"},
			&yaml.Node{Kind: yaml.SequenceNode})
		bm = root.Content[len(root.Content)-1]
	}
	if bm.Kind == yaml.SequenceNode {
		bm.Content = append(bm.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "originAnnotations"})
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(&n); err != nil {
		return src, nil
	}
	return buf.Bytes(), nil
}

// checkRemote parses a kustomization and refuses remote references.
func checkRemote(p string, src []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil || n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil // kustomize reports the syntax error itself
	}
	return remoteIn(p, n.Content[0])
}

// remoteIn refuses any reference the scanner would have to fetch: entries of
// resources, bases and components that name a repository, and any URL
// anywhere (kustomize also fetches patch paths and generator files).
func remoteIn(p string, root *yaml.Node) error {
	for _, key := range []string{"resources", "bases", "components"} {
		list := mapValue(root, key)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range list.Content {
			if isRemote(item.Value) {
				return remoteError(p, item, key)
			}
		}
	}
	var err error
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		if n == nil || err != nil {
			return
		}
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "://") {
			err = remoteError(p, n, key)
			return
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				key = c.Value
				continue
			}
			walk(c, key)
		}
	}
	walk(root, "")
	return err
}

func remoteError(p string, n *yaml.Node, key string) error {
	return &remoteRefError{line: n.Line, msg: fmt.Sprintf("%s:%d: remote %s %q is not fetched: the scanner stays offline; build it with kustomize and scan the output", p, n.Line, key, n.Value)}
}

// remoteRefError is a refused remote reference; its message already names
// the file and line.
type remoteRefError struct {
	line int
	msg  string
}

func (e *remoteRefError) Error() string { return e.msg }

// Line implements scan.LineError.
func (e *remoteRefError) Line() int { return e.line }

// scpLike matches git's scp-style addresses: user@host:org/repo.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:`)

func isRemote(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"://", "github.com/", "gitlab.com/", "bitbucket.org/", "?ref=", ".git//", "?version=", "?timeout="} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return scpLike.MatchString(s)
}
