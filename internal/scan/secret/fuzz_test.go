package secret

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets run their seeds (f.Add and testdata/fuzz/<name>/) as
// part of go test; fuzz them with, for example:
//
//	go test ./internal/scan/secret -run XXX -fuzz FuzzGitleaksIgnore -fuzztime 60s

func FuzzGitleaksIgnore(f *testing.F) {
	for _, s := range []string{
		"",
		"# comment\n\ncfg/a.yaml:aws-access-token:2\n",
		"0123456789abcdef0123456789abcdef01234567:src\\main.go:github-pat:10\r\n",
		"a:b\n:::\na:b:c:d:e\nx:y:-1\n./p:r:3\n",
		"c::r:1\n" + strings.Repeat("x", 70000) + "\nok:r:1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		set, problems := parseGitleaksIgnore(src)
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines+1 || p.Reason == "" {
				t.Errorf("problem %+v out of range (%d lines)", p, lines)
			}
		}
		// Every accepted fingerprint is found again by has().
		for k := range set.global {
			file, rest, _ := strings.Cut(k, ":")
			rule, n, _ := strings.Cut(rest, ":")
			ln, err := strconv.Atoi(n)
			if err != nil || !set.has("", file, rule, ln) {
				t.Errorf("global entry %q not matched back", k)
			}
		}
		for k := range set.commit {
			parts := strings.Split(k, ":")
			if len(parts) != 4 {
				t.Errorf("commit entry %q has %d parts", k, len(parts))
				continue
			}
			ln, err := strconv.Atoi(parts[3])
			if err != nil || !set.has(parts[0], parts[1], parts[2], ln) {
				t.Errorf("commit entry %q not matched back", k)
			}
		}
	})
}

// FuzzAnalyze feeds arbitrary file content through gitleaks' detector and
// the conversion: no panic, lines inside the file, and no more than a
// four-character prefix of any secret in a finding.
func FuzzAnalyze(f *testing.F) {
	fk := newFakes(9)
	for _, s := range []string{
		"",
		"AWS_ACCESS_KEY_ID=" + fk.AWSKey,
		"token: " + fk.GitHubToken + "\n",
		fk.PrivateKey,
		"api_key = \"Zx8kP2mQ9vR4tL7wB3nH6jC1\"\r\npassword: aGVsbG8gd29ybGQgc2VjcmV0IHRva2Vu\n",
		"secret=" + "Z2hwX" + "zEyMzQ1Njc4OTBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg==\n",
		"\xff\xfe-----BEGIN PRIVATE KEY-----",
	} {
		f.Add([]byte(s))
	}
	s := defaultScanner(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<16 {
			return
		}
		got, err := s.Analyze(context.Background(), memFile("fuzz.txt", string(src)))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, fd := range got {
			if fd.Location.StartLine < 1 || fd.Location.StartLine > lines || fd.Location.EndLine < fd.Location.StartLine {
				t.Errorf("%s: lines %d-%d outside a %d-line file", fd.RuleID, fd.Location.StartLine, fd.Location.EndLine, lines)
			}
			m := fd.Secret.Match
			prefix, ok := strings.CutSuffix(m, "*****")
			if !ok || utf8.RuneCountInString(prefix) > maxPrefix || len(prefix) > maxPrefix {
				t.Errorf("%s: redacted match %q shows more than %d characters", fd.RuleID, m, maxPrefix)
			}
		}
	})
}
