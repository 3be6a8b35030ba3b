package waf

import (
	"context"
	"flag"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/corazawaf/coraza/v3/types"

	"github.com/rampart-sec/rampart/internal/gateway/waf/crsftw"
)

var crsRules = flag.String("crs.rules", "", "run only CRS regression tests whose RULE-TEST id matches this regexp")

// crsTestConfig is the WAF configuration the CRS project tests with: every
// paranoia level, detection only, response inspection, CRS's stock allowed
// methods and content types, and the tx limits the tests assume.
func crsTestConfig() Config {
	return Config{
		Mode:            ModeDetect,
		ParanoiaLevel:   4,
		InspectResponse: true,
		AllowedMethods:  []string{"GET", "HEAD", "POST", "OPTIONS"},
		AllowedContentTypes: []string{"application/x-www-form-urlencoded", "multipart/form-data",
			"text/xml", "application/xml", "application/soap+xml", "application/json"},
		extraDirectives: `SecAction "id:900005,phase:1,nolog,pass,t:none,setvar:tx.crs_validate_utf8_encoding=1,setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,setvar:tx.max_num_args=255,setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"`,
	}
}

func TestCRSRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("CRS regression suite skipped in -short mode")
	}
	dir := crsftw.SuiteDir(t, filepath.Join("..", "..", ".."))
	cases := crsftw.Load(t, dir)
	if *crsRules != "" {
		re := regexp.MustCompile(*crsRules)
		cases = slices.DeleteFunc(cases, func(c crsftw.Case) bool { return !re.MatchString(c.ID()) })
	}
	hits := crsftw.NewHitLog()
	w, err := New(context.Background(), crsTestConfig(), Options{
		RequestID: func(r *http.Request) string { return r.Header.Get(crsftw.Marker) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.observe = func(_ *http.Request, id string, matched []types.MatchedRule) { hits.Record(id, matched) }

	results := crsftw.Run(t, w.Wrap(http.HandlerFunc(crsftw.Upstream)), hits, cases)
	crsftw.Report(t, results, 99)
}
