package waf

import (
	"crypto/sha256"
	"fmt"
	"sync"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental"
)

// engines shares one compiled Coraza WAF between all routes whose rendered
// directives are identical: compiling the CRS costs tens of megabytes and
// about a second, so a gateway with fifty routes on the default config must
// not pay it fifty times. Entries are reference counted and closed with the
// last WAF that uses them.
//
// This is package state on purpose: New's signature is fixed by the gateway,
// and a cache keyed by content has no behaviour a caller could configure.
var engines = struct {
	sync.Mutex
	m map[[32]byte]*engine
}{m: map[[32]byte]*engine{}}

type engine struct {
	key  [32]byte
	waf  coraza.WAF
	refs int
}

// acquireEngine returns the shared engine for cfg, compiling it on first use.
func acquireEngine(cfg Config) (*engine, error) {
	pre, post := cfg.directives()
	key := sha256.Sum256([]byte(pre + "\x00" + post))

	engines.Lock()
	defer engines.Unlock()
	if e, ok := engines.m[key]; ok {
		e.refs++
		return e, nil
	}
	// The order matters: Coraza's recommended base, then the CRS setup, then
	// Rampart's tx settings (CRS 901 only fills variables still unset), then
	// the rules, then removals, which must follow the rules they remove.
	wcfg := coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives("Include @coraza.conf-recommended").
		WithDirectives("Include @crs-setup.conf.example").
		WithDirectives(pre).
		WithDirectives("Include @owasp_crs/*.conf")
	if post != "" {
		wcfg = wcfg.WithDirectives(post)
	}
	w, err := coraza.NewWAF(wcfg)
	if err != nil {
		return nil, fmt.Errorf("compile crs: %w", err)
	}
	e := &engine{key: key, waf: w, refs: 1}
	engines.m[key] = e
	return e, nil
}

// release drops one reference and frees Coraza's cached regexes with the last.
func (e *engine) release() error {
	engines.Lock()
	defer engines.Unlock()
	e.refs--
	if e.refs > 0 {
		return nil
	}
	delete(engines.m, e.key)
	if c, ok := e.waf.(experimental.WAFCloser); ok {
		if err := c.Close(); err != nil {
			return fmt.Errorf("close coraza waf: %w", err)
		}
	}
	return nil
}
