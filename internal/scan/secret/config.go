package secret

//lint:file-ignore SA1019 gitleaks v8 keeps ViperConfig.AllowList for configs in the older [allowlist] form, which users' configs still use.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/rampart-sec/rampart/internal/boundedio"
)

// maxConfigSize bounds a rules file: gitleaks' own default is under 150 KiB.
const maxConfigSize = 4 << 20

// maxExtendDepth matches gitleaks: a config may extend one that extends one more.
const maxExtendDepth = 2

// defaultConfigName names gitleaks' embedded rules in error messages.
const defaultConfigName = "gitleaks default config"

// translateMu serialises config.ViperConfig.Translate, which reads the
// global viper instance (viper.ConfigFileUsed) and a package-level counter.
var translateMu sync.Mutex

// defaultConfig is gitleaks' embedded rule set, translated once per process:
// the compiled config is read-only and shared by every Scanner.
var defaultConfig = sync.OnceValues(func() (config.Config, error) {
	vc, err := parseViper(defaultConfigName, []byte(config.DefaultConfig))
	if err != nil {
		return config.Config{}, err
	}
	return translate(defaultConfigName, []byte(config.DefaultConfig), vc)
})

// loadConfig reads a gitleaks TOML rules file, resolving [extend].
//
// gitleaks' own extend (Config.extendDefault/extendPath) goes through the
// global viper instance and a package counter, extendDepth, that is never
// reset: in a long-lived process the third config that extends the default
// silently loses every default rule, and concurrent loads race. So the
// extension is resolved here, at the ViperConfig level with private viper
// instances and gitleaks' merge rules (a rule with the same id overrides
// description, entropy, secretGroup, regex and path when set and adds
// keywords, tags and allowlists; disabledRules drop base rules), and the
// merged result is translated once, which also validates it after the merge
// as gitleaks does.
func loadConfig(path string) (config.Config, error) {
	src, err := readBounded(path)
	if err != nil {
		return config.Config{}, err
	}
	vc, err := resolve(path, src, 0)
	if err != nil {
		return config.Config{}, err
	}
	return translate(path, src, vc)
}

// readBounded reads a config file, refusing one over maxConfigSize.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secret config: %w", err)
	}
	defer f.Close()
	b, err := boundedio.ReadAll(f, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("secret config %s: %w", path, err)
	}
	return b, nil
}

// resolve parses one file and merges it over what it extends.
func resolve(path string, src []byte, depth int) (config.ViperConfig, error) {
	vc, err := parseViper(path, src)
	if err != nil {
		return vc, err
	}
	ext := vc.Extend
	if ext.URL != "" {
		return vc, fmt.Errorf("secret config %s: [extend] url is not supported (gitleaks does not implement it either); use path or useDefault", path)
	}
	if !ext.UseDefault && ext.Path == "" {
		return vc, nil
	}
	if ext.UseDefault && ext.Path != "" {
		return vc, fmt.Errorf("secret config %s: [extend] sets both path and useDefault; choose one", path)
	}
	if depth >= maxExtendDepth {
		return vc, fmt.Errorf("secret config %s: [extend] nested more than %d levels", path, maxExtendDepth)
	}
	var base config.ViperConfig
	if ext.UseDefault {
		base, err = parseViper(defaultConfigName, []byte(config.DefaultConfig))
	} else {
		// Relative to the file that names it, not to the working directory,
		// so a config works wherever rampart runs.
		p := ext.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), p)
		}
		var b []byte
		if b, err = readBounded(p); err == nil {
			base, err = resolve(p, b, depth+1)
		}
	}
	if err != nil {
		return vc, err
	}
	return merge(base, vc), nil
}

// parseViper decodes TOML with a private viper instance (the global one is
// shared with anything else in the process). A syntax error names the line.
func parseViper(name string, src []byte) (config.ViperConfig, error) {
	var vc config.ViperConfig
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(bytes.NewReader(src)); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return vc, fmt.Errorf("secret config %s:%d:%d: %s", name, row, col, de.Error())
		}
		return vc, fmt.Errorf("secret config %s: %w", name, err)
	}
	if err := v.Unmarshal(&vc); err != nil {
		return vc, fmt.Errorf("secret config %s: %w", name, err)
	}
	return vc, nil
}

// merge lays over on top of base with gitleaks' extend semantics.
func merge(base, over config.ViperConfig) config.ViperConfig {
	disabled := map[string]bool{}
	for _, id := range over.Extend.DisabledRules {
		disabled[id] = true
	}
	out := over
	out.Extend = config.Extend{}
	out.Rules = out.Rules[:0:0]
	index := map[string]int{}
	for _, r := range base.Rules {
		if disabled[r.ID] {
			continue
		}
		index[r.ID] = len(out.Rules)
		out.Rules = append(out.Rules, r)
	}
	for _, r := range over.Rules {
		i, ok := index[r.ID]
		if !ok {
			index[r.ID] = len(out.Rules)
			out.Rules = append(out.Rules, r)
			continue
		}
		b := &out.Rules[i]
		if b.AllowList != nil {
			b.Allowlists = append(b.Allowlists[:len(b.Allowlists):len(b.Allowlists)], b.AllowList)
			b.AllowList = nil
		}
		if r.Description != "" {
			b.Description = r.Description
		}
		if r.Entropy != 0 {
			b.Entropy = r.Entropy
		}
		if r.SecretGroup != 0 {
			b.SecretGroup = r.SecretGroup
		}
		if r.Regex != "" {
			b.Regex = r.Regex
		}
		if r.Path != "" {
			b.Path = r.Path
		}
		b.Tags = append(b.Tags[:len(b.Tags):len(b.Tags)], r.Tags...)
		b.Keywords = append(b.Keywords[:len(b.Keywords):len(b.Keywords)], r.Keywords...)
		if r.AllowList != nil {
			b.Allowlists = append(b.Allowlists, r.AllowList)
		}
		b.Allowlists = append(b.Allowlists[:len(b.Allowlists):len(b.Allowlists)], r.Allowlists...)
		b.Required = append(b.Required, r.Required...)
	}
	if base.AllowList != nil {
		out.Allowlists = append(out.Allowlists, base.AllowList)
	}
	out.Allowlists = append(out.Allowlists[:len(out.Allowlists):len(out.Allowlists)], base.Allowlists...)
	if out.AllowList != nil && len(out.Allowlists) > 0 {
		// Translate refuses [allowlist] beside [[allowlists]]; after a merge
		// both are legitimately present, so fold the old form in.
		out.Allowlists = append(out.Allowlists, out.AllowList)
		out.AllowList = nil
	}
	return out
}

// translate compiles a ViperConfig. Regular expressions are checked first,
// because Translate compiles them with MustCompile and would panic.
func translate(name string, src []byte, vc config.ViperConfig) (cfg config.Config, err error) {
	if err := checkRegexes(name, src, vc); err != nil {
		return cfg, err
	}
	translateMu.Lock()
	defer translateMu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("secret config %s: %v", name, p)
		}
	}()
	cfg, err = vc.Translate()
	if err != nil {
		return cfg, fmt.Errorf("secret config %s: %w", name, err)
	}
	cfg.Path = ""
	return cfg, nil
}

func checkRegexes(name string, src []byte, vc config.ViperConfig) error {
	bad := func(id, what, expr string) error {
		if _, err := regexp.Compile(expr); err != nil {
			return fmt.Errorf("secret config %s: rule %q: %s: %w", at(name, src, id), id, what, err)
		}
		return nil
	}
	for _, r := range vc.Rules {
		checks := [][2]string{{"regex", r.Regex}, {"path", r.Path}}
		als := r.Allowlists
		if r.AllowList != nil {
			als = append(als[:len(als):len(als)], r.AllowList)
		}
		for _, a := range als {
			for _, e := range a.Regexes {
				checks = append(checks, [2]string{"allowlist regex", e})
			}
			for _, e := range a.Paths {
				checks = append(checks, [2]string{"allowlist path", e})
			}
		}
		for _, c := range checks {
			if c[1] == "" {
				continue
			}
			if err := bad(r.ID, c[0], c[1]); err != nil {
				return err
			}
		}
	}
	als := vc.Allowlists
	if vc.AllowList != nil {
		als = append(als[:len(als):len(als)], vc.AllowList)
	}
	for i, a := range als {
		for _, e := range append(a.Regexes[:len(a.Regexes):len(a.Regexes)], a.Paths...) {
			if _, err := regexp.Compile(e); err != nil {
				return fmt.Errorf("secret config %s: allowlists[%d]: %w", name, i, err)
			}
		}
	}
	return nil
}

// at names the file and, when the rule's id line is found in src, its line.
func at(name string, src []byte, id string) string {
	re, err := regexp.Compile(`(?m)^[ \t]*id[ \t]*=[ \t]*["']` + regexp.QuoteMeta(id) + `["']`)
	if err != nil || len(src) == 0 {
		return name
	}
	loc := re.FindIndex(src)
	if loc == nil {
		return name
	}
	return fmt.Sprintf("%s:%d", name, bytes.Count(src[:loc[0]], []byte("\n"))+1)
}
