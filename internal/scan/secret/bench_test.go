//go:build unix

package secret

//lint:file-ignore SA1019 detect.Fragment is gitleaks v8's detector API; sources.Fragment replaces it only in v9.

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan"
)

// corpusOut writes the benchmark corpus to a directory, to time gitleaks'
// own CLI on the same files:
//
//	go test ./internal/scan/secret -run XXX -bench Scan -benchtime 1x -secret-corpus-out /tmp/corpus
var corpusOut = flag.String("secret-corpus-out", "", "write the BenchmarkScan corpus to this directory")

// wholeFile times gitleaks' detector on whole files instead of the fast
// path, for the before/after ratio in one run.
var wholeFile = flag.Bool("secret-whole-file", false, "BenchmarkScan: gitleaks' detector on whole files, not the fast path")

// benchCorpusBytes is the corpus size: big enough that per-file setup and
// the keyword trie are measured in proportion.
const benchCorpusBytes = 16 << 20

// Source snippets in four languages. %s are identifiers, %d numbers; the
// words that gitleaks' generic rule keys on (key, token, auth, api,
// secret, password) appear as often as in ordinary code.
var snippets = map[string][]string{
	".go": {
		"func (s *%s) %s(ctx context.Context, key string) (*Item, error) {\n\tv, ok := s.cache.Get(key)\n\tif !ok {\n\t\treturn nil, fmt.Errorf(\"lookup %%q: %%w\", key, ErrNotFound)\n\t}\n\treturn v.(*Item), nil\n}\n\n",
		"// %s validates the request token and the API version (%d).\nfunc %s(r *http.Request) error {\n\tauth := r.Header.Get(\"Authorization\")\n\tif auth == \"\" {\n\t\treturn errUnauthorized\n\t}\n\treturn nil\n}\n\n",
		"type %s struct {\n\tName    string `json:\"name\"`\n\tAPIKeyRef string `json:\"api_key_ref\"`\n\tTimeout int    `json:\"timeout_ms\"` // default %d\n\t%s []string\n}\n\n",
		"\tfor i := 0; i < %d; i++ {\n\t\tif err := %s(ctx, items[i]); err != nil {\n\t\t\tlog.Error(\"sync failed\", \"item\", i, \"err\", err)\n\t\t\tcontinue\n\t\t}\n\t\t%s++\n\t}\n",
	},
	".js": {
		"export async function %s(client, opts = {}) {\n  const token = await client.auth.getToken({ scope: 'read' });\n  const res = await fetch(`${opts.baseUrl}/api/v%d/items`, { headers: { Authorization: `Bearer ${token}` } });\n  return res.json();\n}\n\n",
		"const %s = {\n  apiVersion: %d,\n  secretName: process.env.SECRET_NAME,\n  retries: 3,\n  onError: (err) => console.error('%s failed', err),\n};\n\n",
		"function %s(list) {\n  return list.filter((x) => x.key !== undefined).map((x) => ({ ...x, id: x.id + %d }));\n}\n// TODO(%s): memoise\n\n",
	},
	".py": {
		"def %s(session, key, retries=%d):\n    \"\"\"Fetch the record for key, retrying on timeouts.\"\"\"\n    for attempt in range(retries):\n        try:\n            return session.get(f\"/api/records/{key}\")\n        except TimeoutError:\n            log.warning(\"%s: retry %%d\", attempt)\n    raise LookupError(key)\n\n",
		"class %s(BaseModel):\n    name: str\n    password_hash: str = Field(..., min_length=%d)\n    token_ttl: int = 3600\n\n    def %s(self):\n        return self.name.lower()\n\n",
		"SETTINGS = {\n    \"DEBUG\": False,\n    \"SECRET_KEY\": os.environ[\"SECRET_KEY\"],\n    \"PAGE_SIZE\": %d,\n    \"%s\": \"%s\",\n}\n\n",
	},
	".yaml": {
		"- name: %s\n  image: registry.example.test/%s:%d.2.1\n  env:\n    - name: API_TOKEN\n      valueFrom:\n        secretKeyRef: {name: %s, key: token}\n  resources:\n    limits: {cpu: 500m, memory: 256Mi}\n",
		"%s:\n  replicas: %d\n  auth:\n    enabled: true\n    provider: oidc\n  labels:\n    app: %s\n",
	},
}

var words = []string{"client", "store", "handler", "session", "cache", "order", "invoice", "user", "account", "report", "queue", "worker", "parser", "router", "policy", "ledger", "metric", "tenant"}

func ident(r *rand.Rand) string {
	a, b := words[r.IntN(len(words))], words[r.IntN(len(words))]
	return a + strings.ToUpper(b[:1]) + b[1:] + fmt.Sprint(r.IntN(100))
}

// fill replaces each %s and %d of a snippet.
func fill(r *rand.Rand, tmpl string) string {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] == '%' && i+1 < len(tmpl) {
			switch tmpl[i+1] {
			case 's':
				b.WriteString(ident(r))
				i++
				continue
			case 'd':
				fmt.Fprint(&b, r.IntN(10000))
				i++
				continue
			case '%':
				b.WriteByte('%')
				i++
				continue
			}
		}
		b.WriteByte(tmpl[i])
	}
	return b.String()
}

type corpusFile struct {
	path    string
	content []byte
}

// benchCorpus generates ~size bytes of source in files of 4-40 KiB, with a
// planted secret in one file of 50.
func benchCorpus(size int) (files []corpusFile, planted int) {
	r := rand.New(rand.NewPCG(42, 7))
	fk := newFakes(10)
	secrets := []string{
		"AWS_ACCESS_KEY_ID = \"" + fk.AWSKey + "\"\n",
		"const ghToken = \"" + fk.GitHubToken + "\";\n",
		fk.PrivateKey,
	}
	exts := []string{".go", ".js", ".py", ".yaml"}
	total := 0
	for i := 0; total < size; i++ {
		ext := exts[i%len(exts)]
		target := 4<<10 + r.IntN(36<<10)
		var b strings.Builder
		for b.Len() < target {
			sn := snippets[ext]
			b.WriteString(fill(r, sn[r.IntN(len(sn))]))
		}
		if i%50 == 25 {
			b.WriteString(secrets[planted%len(secrets)])
			planted++
		}
		files = append(files, corpusFile{path: fmt.Sprintf("src/pkg%02d/file%04d%s", i%40, i, ext), content: []byte(b.String())})
		total += b.Len()
	}
	return files, planted
}

// BenchmarkScan measures secret scanning throughput over generated source
// text; run it on one core to compare with the 50 MB/s target:
//
//	go test ./internal/scan/secret -run XXX -bench Scan -benchtime 3x -cpu 1
func BenchmarkScan(b *testing.B) {
	files, planted := benchCorpus(benchCorpusBytes)
	var size int64
	sfiles := make([]scan.File, len(files))
	for i, f := range files {
		size += int64(len(f.content))
		sfiles[i] = memFile(f.path, string(f.content))
	}
	if *corpusOut != "" {
		for _, f := range files {
			p := filepath.Join(*corpusOut, filepath.FromSlash(f.path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, f.content, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	s := defaultScanner(b)
	analyze := s.Analyze
	if *wholeFile {
		// gitleaks' detector on whole files: the path before the fast one.
		analyze = func(ctx context.Context, f scan.File) ([]finding.Finding, error) {
			raw, err := f.Read()
			if err != nil {
				return nil, err
			}
			return s.convert(s.det.DetectContext(ctx, detect.Fragment{Raw: string(raw), FilePath: f.Path, StartLine: 1}), nil), nil
		}
	}
	b.SetBytes(size)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		found := 0
		for _, f := range sfiles {
			fs, err := analyze(context.Background(), f)
			if err != nil {
				b.Fatal(err)
			}
			found += len(fs)
		}
		if found != planted {
			b.Fatalf("found %d secrets, want the %d planted", found, planted)
		}
	}
	b.StopTimer()
	// On a shared machine wall time includes waiting for a core; the
	// process's CPU time (user+sys, so GC counts) does not.
	if cpu := cpuTime(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	b.ReportMetric(float64(len(files)), "files")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
