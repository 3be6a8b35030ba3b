// Package crsftw runs the OWASP CRS regression suite (go-ftw YAML) against
// any http.Handler over real HTTP on 127.0.0.1. It is test support: the WAF
// package runs it through waf.Wrap, and the gateway can run it through its
// full handler. Each request goes out as raw bytes over a TCP socket (so
// encoded_request and malformed requests reach the server as written); rule
// hits come from a HitLog that the handler under test fills, keyed by the
// Marker header the runner adds.
//
// It parses the suite's YAML itself (only the fields the suite uses) rather
// than importing go-ftw, whose runner reads rule hits from a log file and
// pulls a large dependency tree; the suite is trusted test data, read only
// by tests.
package crsftw

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	crstests "github.com/corazawaf/coraza-coreruleset/v4/tests"
	"github.com/corazawaf/coraza/v3/types"
	"go.yaml.in/yaml/v3"
)

// ftw* mirror the subset of the go-ftw test format the CRS suite uses.
type suiteFile struct {
	RuleID int         `yaml:"rule_id"`
	Tests  []suiteTest `yaml:"tests"`
}

type suiteTest struct {
	TestID int     `yaml:"test_id"`
	Desc   string  `yaml:"desc"`
	Stages []Stage `yaml:"stages"`
}

// Stage is one request of a test and what must come of it.
type Stage struct {
	Input  Input  `yaml:"input"`
	Output Output `yaml:"output"`
}

// Input is a stage's request.
type Input struct {
	Method              *string           `yaml:"method"`
	URI                 *string           `yaml:"uri"`
	Version             *string           `yaml:"version"`
	Headers             map[string]string `yaml:"headers"`
	Data                string            `yaml:"data"`
	EncodedRequest      string            `yaml:"encoded_request"`
	AutocompleteHeaders *bool             `yaml:"autocomplete_headers"`
}

// Output is what a stage expects: a status, rule ids that must or must not
// match, log patterns, or an HTTP-layer error.
type Output struct {
	Status      int  `yaml:"status"`
	ExpectError bool `yaml:"expect_error"`
	Log         struct {
		ExpectIDs    []int  `yaml:"expect_ids"`
		NoExpectIDs  []int  `yaml:"no_expect_ids"`
		MatchRegex   string `yaml:"match_regex"`
		NoMatchRegex string `yaml:"no_match_regex"`
	} `yaml:"log"`
}

type overridesFile struct {
	TestOverrides []struct {
		RuleID  int     `yaml:"rule_id"`
		TestIDs []int   `yaml:"test_ids"`
		Reason  string  `yaml:"reason"`
		Output  *Output `yaml:"output"`
	} `yaml:"test_overrides"`
}

// HitLog records, per request id, the matched rules and their log lines.
type HitLog struct {
	mu   sync.Mutex
	done map[string]chan struct{}
	ids  map[string][]int
	logs map[string][]string
}

// NewHitLog returns an empty hit log.
func NewHitLog() *HitLog {
	return &HitLog{done: map[string]chan struct{}{}, ids: map[string][]int{}, logs: map[string][]string{}}
}

// Record adds the logged rules among a transaction's matched rules.
func (h *HitLog) Record(id string, matched []types.MatchedRule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, mr := range matched {
		if l, ok := mr.(interface{ Log() bool }); ok && !l.Log() {
			continue
		}
		h.ids[id] = append(h.ids[id], mr.Rule().ID())
		h.logs[id] = append(h.logs[id], mr.ErrorLog())
	}
}

// RecordIDs adds rule ids for a request, for handlers that only expose
// decisions (waf.Options.OnDecision) rather than Coraza's matched rules.
func (h *HitLog) RecordIDs(id string, ruleIDs []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids[id] = append(h.ids[id], ruleIDs...)
}

// Track wraps the handler under test so the runner knows whether a request
// reached it and when it finished (hits are recorded before it returns).
func (h *HitLog) Track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Marker)
		ch := make(chan struct{})
		h.mu.Lock()
		h.done[id] = ch
		h.mu.Unlock()
		defer close(ch)
		next.ServeHTTP(w, r)
	})
}

// Wait returns the hits of id and whether the request reached the handler.
func (h *HitLog) Wait(id string) (ids []int, logs []string, reached bool) {
	h.mu.Lock()
	ch, ok := h.done[id]
	h.mu.Unlock()
	if !ok {
		return nil, nil, false
	}
	select {
	case <-ch:
	case <-time.After(hangGuard):
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ids[id], h.logs[id], true
}

// hangGuard bounds one exchange so that a hung request cannot stall the
// suite; it is far above any expected time, since tests must not depend on
// the speed of a shared machine (a PL4 evaluation of a 64 KB body can take
// seconds there).
const hangGuard = 2 * time.Minute

// Marker is the header that carries the request key the hit log is keyed by.
const Marker = "X-Rampart-Ftw"

// attempt makes markers unique when a case runs twice.
var attempt atomic.Int64

// Upstream emulates the CRS test backend: /reflect answers with the status,
// headers and body the request describes; /anything echoes; the rest says hi.
func Upstream(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	switch {
	case r.URL.Path == "/reflect":
		var spec struct {
			Status      int               `json:"status"`
			Headers     map[string]string `json:"headers"`
			Body        string            `json:"body"`
			EncodedBody string            `json:"encodedBody"`
		}
		_ = json.Unmarshal(body, &spec)
		w.Header().Set("Content-Type", "text/plain")
		for k, v := range spec.Headers {
			w.Header().Set(k, v)
		}
		out := []byte(spec.Body)
		if spec.EncodedBody != "" {
			if b, err := base64.StdEncoding.DecodeString(spec.EncodedBody); err == nil {
				out = b
			}
		}
		if spec.Status == 0 {
			spec.Status = http.StatusOK
		}
		w.WriteHeader(spec.Status)
		_, _ = w.Write(out)
	case r.URL.Path == "/anything":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	default:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "Hello!")
	}
}

// SuiteDir finds ../shared/testdata/crs-regression from the repo root.
func SuiteDir(t testing.TB, repoRoot string) string {
	t.Helper()
	dir := filepath.Join(repoRoot, "..", "shared", "testdata", "crs-regression")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("CRS regression suite not found at %s (see /work/shared/testdata/README.md): %v", dir, err)
	}
	return dir
}

// embeddedRuleIDs maps every rule id in the embedded CRS to whether that
// rule (its SecRule chunk) targets XML attribute values (XML://@*).
func embeddedRuleIDs(t testing.TB) map[int]bool {
	t.Helper()
	ids := map[int]bool{}
	re := regexp.MustCompile(`id:'?(\d+)`)
	err := fs.WalkDir(coreruleset.FS, "@owasp_crs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".conf") {
			return err
		}
		b, err := fs.ReadFile(coreruleset.FS, p)
		if err != nil {
			return err
		}
		for _, chunk := range strings.Split(string(b), "\nSecRule ") {
			for _, m := range re.FindAllStringSubmatch(chunk, -1) {
				n, _ := strconv.Atoi(m[1])
				ids[n] = ids[n] || strings.Contains(chunk, "XML://@*")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk embedded crs: %v", err)
	}
	return ids
}

// embeddedReleaseTests lists the (rule, test) ids of the regression suite
// that ships with the embedded CRS release; the shared suite is a few CRS
// versions newer, and its added tests exercise rule changes the embedded
// rules do not have.
//
// The value is the test's expectation (expected and unexpected rule ids of
// every stage), so that a test whose expectation was reversed after the
// release (a rule fixed for a false positive later) is recognised too.
func embeddedReleaseTests(t testing.TB) map[[2]int]string {
	t.Helper()
	known := map[[2]int]string{}
	err := fs.WalkDir(crstests.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(crstests.FS, p)
		if err != nil {
			return err
		}
		var ff suiteFile
		if err := yaml.Unmarshal(b, &ff); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, tc := range ff.Tests {
			known[[2]int{ff.RuleID, tc.TestID}] = expectation(tc.Stages)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the embedded release's regression suite: %v", err)
	}
	return known
}

func expectation(stages []Stage) string {
	var b strings.Builder
	for _, st := range stages {
		fmt.Fprintf(&b, "%v/%v;", compactIDs(st.Output.Log.ExpectIDs), compactIDs(st.Output.Log.NoExpectIDs))
	}
	return b.String()
}

// Case is one test of the suite, with the reason it is skipped, if any.
type Case struct {
	file   string // rule file group, e.g. REQUEST-942-APPLICATION-ATTACK-SQLI
	ruleID int
	testID int
	stages []Stage
	// alt is the original expectation of a test the Coraza override changed:
	// Rampart's pipeline is not Coraza's http connector, so a test passes when
	// either the override or the CRS project's own expectation holds.
	alt  []Stage
	skip string
	// newer marks a skip for version skew: the case still runs, and its
	// result is reported apart from the pass rate.
	newer bool
}

// Stages are the case's requests and expectations.
func (c Case) Stages() []Stage { return c.stages }

// ID is the case's "RULE-TEST" id, e.g. "942100-3".
func (c Case) ID() string { return fmt.Sprintf("%d-%d", c.ruleID, c.testID) }

// Result is a case and why it failed (empty when it passed).
type Result struct {
	Case
	failure string // "" when passed
}

// Load reads the suite under dir, applies the CRS project's Coraza overrides
// and marks the cases that do not apply to the embedded CRS as skipped.
func Load(t testing.TB, dir string) []Case {
	t.Helper()
	present := embeddedRuleIDs(t)
	known := embeddedReleaseTests(t)
	ovb, err := os.ReadFile(filepath.Join(dir, "_overrides", "coraza-overrides.yaml"))
	if err != nil {
		t.Fatalf("read coraza overrides: %v", err)
	}
	var ov overridesFile
	if err := yaml.Unmarshal(ovb, &ov); err != nil {
		t.Fatalf("parse coraza overrides: %v", err)
	}
	type key struct{ rule, test int }
	overrides := map[key]int{}
	for i, o := range ov.TestOverrides {
		for _, id := range o.TestIDs {
			overrides[key{o.RuleID, id}] = i
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no regression files under %s: %v", dir, err)
	}
	var cases []Case
	for _, f := range files {
		group := filepath.Base(filepath.Dir(f))
		if strings.HasPrefix(group, "_") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		var ff suiteFile
		if err := yaml.Unmarshal(b, &ff); err != nil {
			t.Errorf("parse %s: %v", f, err)
			continue
		}
		for _, tc := range ff.Tests {
			c := Case{file: group, ruleID: ff.RuleID, testID: tc.TestID, stages: tc.Stages}
			xmlAttr, ok := present[ff.RuleID]
			switch {
			case !ok:
				c.skip = "rule absent from the embedded CRS"
			case strings.Contains(tc.Desc, "XML://@*") && !xmlAttr:
				// Added with CRS 4.26: rules gained the XML://@* target
				// (attribute values); the embedded CRS predates it.
				c.skip, c.newer = "tests the XML://@* target, which the embedded CRS does not have yet", true
			default:
				if exp, ok := known[[2]int{ff.RuleID, tc.TestID}]; !ok {
					c.skip, c.newer = "test added after the embedded CRS release (not in its own regression suite)", true
				} else if exp != expectation(tc.Stages) {
					c.skip, c.newer = "expectation changed after the embedded CRS release (its own suite expects otherwise)", true
				}
			}
			if i, ok := overrides[key{ff.RuleID, tc.TestID}]; ok {
				o := ov.TestOverrides[i]
				if o.Output == nil {
					c.skip = "CRS coraza override: " + o.Reason
				} else {
					c.alt = slices.Clone(c.stages)
					c.stages = slices.Clone(c.stages)
					for s := range c.stages {
						c.stages[s].Output = *o.Output
					}
				}
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// RawRequest renders a stage the way go-ftw sends it, with our marker header.
func RawRequest(in Input, marker string) ([]byte, error) {
	if in.EncodedRequest != "" {
		raw, err := base64.StdEncoding.DecodeString(in.EncodedRequest)
		if err != nil {
			return nil, fmt.Errorf("decode encoded_request: %w", err)
		}
		i := strings.Index(string(raw), "\n")
		if i < 0 {
			return raw, nil
		}
		return slices.Concat(raw[:i+1], []byte(Marker+": "+marker+"\r\n"), raw[i+1:]), nil
	}
	method, uri, version := "GET", "/", "HTTP/1.1"
	if in.Method != nil {
		method = *in.Method
	}
	if in.URI != nil {
		uri = *in.URI
	}
	if in.Version != nil {
		version = *in.Version
	}
	data := renderData(in.Data)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", method, uri, version)
	b.WriteString(Marker + ": " + marker + "\r\n")
	names := make([]string, 0, len(in.Headers))
	has := map[string]bool{}
	for k := range in.Headers {
		names = append(names, k)
		has[strings.ToLower(k)] = true
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\r\n", k, in.Headers[k])
	}
	if in.AutocompleteHeaders == nil || *in.AutocompleteHeaders {
		if data != "" && !has["content-length"] {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(data))
		}
		if !has["connection"] {
			b.WriteString("Connection: close\r\n")
		}
	}
	b.WriteString("\r\n")
	b.WriteString(data)
	return []byte(b.String()), nil
}

// renderData expands go-ftw's data templates ({{ "1" | repeat 64200 }});
// data that is not a valid template is sent as written.
func renderData(data string) string {
	if !strings.Contains(data, "{{") {
		return data
	}
	tmpl, err := template.New("data").Funcs(template.FuncMap{
		"repeat": func(n int, s string) string { return strings.Repeat(s, min(n, 1<<20)) },
	}).Parse(data)
	if err != nil {
		return data
	}
	var out strings.Builder
	if err := tmpl.Execute(&out, nil); err != nil {
		return data
	}
	return out.String()
}

// Send writes raw to addr and reads one response.
func Send(addr string, raw []byte) (*http.Response, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(hangGuard))
	if _, err := conn.Write(raw); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, nil
}

// runCase runs every stage of c; it returns "" on success or why it failed.
func runCase(addr string, hits *HitLog, ruleID, testID int, stages []Stage) string {
	for s, st := range stages {
		marker := fmt.Sprintf("%d-%d-%d-%d", ruleID, testID, s, attempt.Add(1))
		raw, err := RawRequest(st.Input, marker)
		if err != nil {
			return err.Error()
		}
		resp, err := Send(addr, raw)
		ids, logs, reached := hits.Wait(marker)
		out := st.Output
		if out.ExpectError {
			// go-ftw's "error" is a request the HTTP layer refuses: a transport
			// error, or net/http answering before the handler ran.
			if err != nil || !reached {
				continue
			}
			return fmt.Sprintf("stage %d: expected an HTTP-layer error, got status %d", s, resp.StatusCode)
		}
		if err != nil {
			return fmt.Sprintf("stage %d: %v", s, err)
		}
		if out.Status != 0 && resp.StatusCode != out.Status {
			return fmt.Sprintf("stage %d: status %d, want %d (matched %v)", s, resp.StatusCode, out.Status, compactIDs(ids))
		}
		if (len(out.Log.ExpectIDs) > 0 || out.Log.MatchRegex != "") && !reached {
			return fmt.Sprintf("stage %d: net/http answered %d before the WAF ran", s, resp.StatusCode)
		}
		for _, id := range out.Log.ExpectIDs {
			if !slices.Contains(ids, id) {
				return fmt.Sprintf("stage %d: rule %d did not match (matched %v)", s, id, compactIDs(ids))
			}
		}
		for _, id := range out.Log.NoExpectIDs {
			if slices.Contains(ids, id) {
				return fmt.Sprintf("stage %d: rule %d matched, want no match", s, id)
			}
		}
		joined := strings.Join(logs, "\n")
		if out.Log.MatchRegex != "" && !regexp.MustCompile(out.Log.MatchRegex).MatchString(joined) {
			return fmt.Sprintf("stage %d: no log line matches %q", s, out.Log.MatchRegex)
		}
		if out.Log.NoMatchRegex != "" && regexp.MustCompile(out.Log.NoMatchRegex).MatchString(joined) {
			return fmt.Sprintf("stage %d: a log line matches %q", s, out.Log.NoMatchRegex)
		}
	}
	return ""
}

func compactIDs(ids []int) []int {
	c := slices.Clone(ids)
	slices.Sort(c)
	return slices.Compact(c)
}

// Run sends every case to handler (which must be wrapped by
// hits.track and record into hits) through a real server on 127.0.0.1.
func Run(t testing.TB, handler http.Handler, hits *HitLog, cases []Case) []Result {
	t.Helper()
	srv := httptest.NewServer(hits.Track(handler))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	results := make([]Result, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 2 { // two workers: the machine is shared
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = Result{Case: cases[i]}
				if cases[i].skip == "" || cases[i].newer {
					results[i].failure = runCase(addr, hits, cases[i].ruleID, cases[i].testID, cases[i].stages)
					if results[i].failure != "" && cases[i].alt != nil {
						if runCase(addr, hits, cases[i].ruleID, cases[i].testID, cases[i].alt) == "" {
							results[i].failure = ""
						}
					}
				}
			}
		}()
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

// Report logs the pass rate per rule file, the failures and the skips, and
// fails t when the pass rate of the applicable cases is below minRate percent.
func Report(t testing.TB, results []Result, minRate float64) {
	t.Helper()
	type tally struct{ pass, fail, skip int }
	byFile := map[string]*tally{}
	var total tally
	var failures []string
	skipReasons := map[string]int{}
	var newerPass, newerFail int
	for _, r := range results {
		if r.newer {
			if r.failure == "" {
				newerPass++
			} else {
				newerFail++
			}
		}
		tl := byFile[r.file]
		if tl == nil {
			tl = &tally{}
			byFile[r.file] = tl
		}
		switch {
		case r.skip != "":
			tl.skip++
			total.skip++
			skipReasons[r.skip]++
		case r.failure != "":
			tl.fail++
			total.fail++
			failures = append(failures, fmt.Sprintf("%d-%d: %s", r.ruleID, r.testID, r.failure))
		default:
			tl.pass++
			total.pass++
		}
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| rule file | passed | failed | skipped | pass rate |\n|---|---:|---:|---:|---:|\n")
	for _, f := range files {
		tl := byFile[f]
		rate := "n/a"
		if n := tl.pass + tl.fail; n > 0 {
			rate = fmt.Sprintf("%.1f%%", 100*float64(tl.pass)/float64(n))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", f, tl.pass, tl.fail, tl.skip, rate)
	}
	applicable := total.pass + total.fail
	rate := 100 * float64(total.pass) / float64(max(applicable, 1))
	fmt.Fprintf(&b, "| **total** | %d | %d | %d | %.2f%% |\n", total.pass, total.fail, total.skip, rate)
	sort.Strings(failures)
	b.WriteString("\nfailures:\n")
	for _, f := range failures {
		b.WriteString("  " + f + "\n")
	}
	b.WriteString("skips:\n")
	for reason, n := range skipReasons {
		fmt.Fprintf(&b, "  %d x %s\n", n, reason)
	}
	fmt.Fprintf(&b, "version-skew skips, run for information: %d pass, %d fail\n", newerPass, newerFail)
	t.Log(b.String())
	if rate < minRate {
		t.Errorf("CRS regression pass rate %.2f%% (%d/%d), want at least %.0f%%", rate, total.pass, applicable, minRate)
	}
}
