package metrics

import (
	"strconv"
	"testing"
)

// fingerprintSeries gathers the ja4 label values and counts.
func fingerprintSeries(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "rampart_gateway_tls_fingerprints_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			out[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
		}
	}
	return out
}

func TestFingerprintCardinalityBounded(t *testing.T) {
	m := New()
	for i := range MaxFingerprints + 50 {
		m.Fingerprint("t13d_" + strconv.Itoa(i))
	}
	m.Fingerprint("t13d_0") // a known one keeps its own series
	m.Fingerprint("")       // plain HTTP: nothing
	got := fingerprintSeries(t, m)
	if len(got) != MaxFingerprints+1 {
		t.Errorf("series = %d, want %d (the first %d plus other)", len(got), MaxFingerprints+1, MaxFingerprints)
	}
	if got["other"] != 50 {
		t.Errorf("other = %v, want 50", got["other"])
	}
	if got["t13d_0"] != 2 {
		t.Errorf("t13d_0 = %v, want 2", got["t13d_0"])
	}
}

func TestStatusClass(t *testing.T) {
	for code, want := range map[int]string{101: "1xx", 200: "2xx", 304: "3xx", 429: "4xx", 503: "5xx", 499: "4xx"} {
		if got := StatusClass(code); got != want {
			t.Errorf("StatusClass(%d) = %s, want %s", code, got, want)
		}
	}
}
