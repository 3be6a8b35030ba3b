package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig feeds arbitrary bytes to the config parser: it must
// return a config or an error, never panic or hang.
func FuzzLoadConfig(f *testing.F) {
	if src, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "gateway", "minimal.yaml")); err == nil {
		f.Add(src)
	}
	f.Add([]byte("listen: [{address: \"127.0.0.1:1\"}]\nroutes: [{name: a, upstream: {targets: [\"http://127.0.0.1:2\"]}}]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse("fuzz.yaml", dir, src)
		if err == nil && (len(cfg.Listen) == 0 || len(cfg.Routes) == 0) {
			t.Fatalf("accepted a config without listeners or routes")
		}
	})
}
