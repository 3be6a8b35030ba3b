package k8scorpus

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// readTree returns the files under dir keyed by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return files
}

type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
}

// parseCorpus decodes every document of every file and checks the fields all
// Kubernetes objects need, returning the observed document count per kind.
func parseCorpus(t *testing.T, files map[string][]byte) (map[string]int, int) {
	t.Helper()
	kinds := map[string]int{}
	total := 0
	for name, data := range files {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		inFile := 0
		for {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d does not parse: %v", name, inFile, err)
			}
			// Decoding into a generic map rejects duplicate keys and
			// non-mapping documents; the header then checks required fields.
			var raw map[string]any
			if err := doc.Decode(&raw); err != nil {
				t.Fatalf("%s: document %d: %v", name, inFile, err)
			}
			var h header
			if err := doc.Decode(&h); err != nil {
				t.Fatalf("%s: document %d: header: %v", name, inFile, err)
			}
			if h.APIVersion == "" || h.Kind == "" || h.Metadata.Name == "" {
				t.Errorf("%s: document %d lacks apiVersion/kind/metadata.name: %+v", name, inFile, h)
			}
			kinds[h.Kind]++
			inFile++
		}
		if inFile == 0 || inFile > DocsPerFile {
			t.Errorf("%s holds %d documents, want 1..%d", name, inFile, DocsPerFile)
		}
		total += inFile
	}
	return kinds, total
}

var fileName = regexp.MustCompile(`^ns-\d{2}/app-\d{4,}\.yaml$`)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name      string
		docs      int
		seed      int64
		wantFiles int
		wantDirs  int
	}{
		{name: "empty", docs: 0, seed: 1, wantFiles: 0, wantDirs: 0},
		{name: "single document", docs: 1, seed: 1, wantFiles: 1, wantDirs: 1},
		{name: "partial last file", docs: 25, seed: 7, wantFiles: 3, wantDirs: 3},
		{name: "exact files", docs: 100, seed: 42, wantFiles: 10, wantDirs: NamespaceDirs},
		{name: "larger", docs: 2003, seed: -5, wantFiles: 201, wantDirs: NamespaceDirs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			stats, err := Generate(dir, tt.docs, tt.seed)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			files := readTree(t, dir)
			dirs := map[string]bool{}
			var size int64
			for name, data := range files {
				if !fileName.MatchString(name) {
					t.Errorf("unexpected file name %q", name)
				}
				dirs[strings.SplitN(name, "/", 2)[0]] = true
				size += int64(len(data))
			}
			kinds, total := parseCorpus(t, files)

			want := Stats{Docs: tt.docs, Files: tt.wantFiles, Bytes: size, Kinds: kinds}
			if diff := cmp.Diff(want, stats); diff != "" {
				t.Errorf("Stats mismatch (-want +got):\n%s", diff)
			}
			if total != tt.docs {
				t.Errorf("parsed %d documents, want %d", total, tt.docs)
			}
			if len(dirs) != tt.wantDirs {
				t.Errorf("files spread over %d directories, want %d", len(dirs), tt.wantDirs)
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	tests := []struct {
		name      string
		docs      int
		seedA     int64
		seedB     int64
		wantEqual bool
	}{
		{name: "same seed", docs: 300, seedA: 1, seedB: 1, wantEqual: true},
		{name: "same negative seed", docs: 57, seedA: -3, seedB: -3, wantEqual: true},
		{name: "different seed", docs: 300, seedA: 1, seedB: 2, wantEqual: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirA, dirB := t.TempDir(), t.TempDir()
			statsA, err := Generate(dirA, tt.docs, tt.seedA)
			if err != nil {
				t.Fatalf("Generate A: %v", err)
			}
			statsB, err := Generate(dirB, tt.docs, tt.seedB)
			if err != nil {
				t.Fatalf("Generate B: %v", err)
			}
			filesA, filesB := readTree(t, dirA), readTree(t, dirB)
			// Compare as strings so a difference is readable.
			asText := cmp.Transformer("text", func(b []byte) string { return string(b) })
			diff := cmp.Diff(filesA, filesB, asText) + cmp.Diff(statsA, statsB)
			if tt.wantEqual && diff != "" {
				t.Errorf("corpus differs between runs (-A +B):\n%.4000s", diff)
			}
			if !tt.wantEqual && diff == "" {
				t.Errorf("seeds %d and %d produced identical corpora", tt.seedA, tt.seedB)
			}
		})
	}
}

func TestGenerateMix(t *testing.T) {
	stats, err := Generate(t.TempDir(), 3000, 1)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	for _, kind := range slices.Concat(WorkloadKinds, RBACKinds,
		[]string{"Service", "Ingress", "NetworkPolicy", "ConfigMap"}) {
		if stats.Kinds[kind] == 0 {
			t.Errorf("no %s generated in 3000 documents", kind)
		}
	}
	tests := []struct {
		category     string
		wantPercent  float64
		allowPercent float64
	}{
		{"workload", 70, 4},
		{"rbac", 15, 3},
		{"network", 10, 3},
		{"other", 5, 2},
	}
	cats := stats.Category()
	for _, tt := range tests {
		got := 100 * float64(cats[tt.category]) / float64(stats.Docs)
		if got < tt.wantPercent-tt.allowPercent || got > tt.wantPercent+tt.allowPercent {
			t.Errorf("%s: %.1f%% of documents, want %.0f±%.0f%%", tt.category, got, tt.wantPercent, tt.allowPercent)
		}
	}
}

// TestGenerateVariety checks that the security-relevant settings the
// benchmark relies on actually occur, good and bad.
func TestGenerateVariety(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(dir, 2000, 1); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var all strings.Builder
	for _, data := range readTree(t, dir) {
		all.Write(data)
	}
	corpus := all.String()
	for _, want := range []string{
		"privileged: true", "hostNetwork: true", "hostPID: true", "hostPath:",
		"runAsNonRoot: true", "runAsNonRoot: false", "readOnlyRootFilesystem: true",
		"allowPrivilegeEscalation: true", "- SYS_ADMIN", "- ALL",
		"type: RuntimeDefault", "type: Unconfined",
		"initContainers:", "livenessProbe:", "readinessProbe:", "resources:",
		"image: nginx\n", "image: nginx:latest", "@sha256:",
		"name: DB_PASSWORD", "secretKeyRef:",
		"name: cluster-admin", `- '*'`, "type: NodePort", "type: LoadBalancer",
		"- Egress", "tls:",
	} {
		if !strings.Contains(corpus, want) {
			t.Errorf("corpus never contains %q", want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		dir         string
		docs        int
		wantPathErr bool // the cause is a wrapped *fs.PathError
	}{
		{name: "negative docs", dir: t.TempDir(), docs: -1},
		{name: "empty dir", dir: "", docs: 10},
		{name: "dir is a file", dir: notADir, docs: 10, wantPathErr: true},
		{name: "parent is a file", dir: filepath.Join(notADir, "sub"), docs: 10, wantPathErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.dir, tt.docs, 1)
			if err == nil {
				t.Fatal("Generate succeeded, want error")
			}
			var pathErr *fs.PathError
			if got := errors.As(err, &pathErr); got != tt.wantPathErr {
				t.Errorf("Generate error %q wraps *fs.PathError = %v, want %v", err, got, tt.wantPathErr)
			}
		})
	}
}
