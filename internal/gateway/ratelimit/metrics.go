package ratelimit

import "github.com/prometheus/client_golang/prometheus"

var (
	descBackendUp = prometheus.NewDesc("rampart_ratelimit_backend_up",
		"1 while the shared rate limit backend's circuit breaker is closed.", nil, nil)
	descBreaker = prometheus.NewDesc("rampart_ratelimit_backend_breaker_state",
		"1 for the breaker's current state (closed, half-open, open).", []string{"state"}, nil)
	descBackendErrors = prometheus.NewDesc("rampart_ratelimit_backend_errors_total",
		"Rate limit backend calls that failed.", nil, nil)
	descFallbacks = prometheus.NewDesc("rampart_ratelimit_fallback_decisions_total",
		"Requests decided by on_backend_error instead of the backend.", []string{"on_backend_error"}, nil)
	descLocalKeys = prometheus.NewDesc("rampart_ratelimit_local_keys",
		"Keys held by the in-memory limiter.", nil, nil)
	descEvictions = prometheus.NewDesc("rampart_ratelimit_local_evictions_total",
		"Keys dropped from a full in-memory shard; live=true ones still had state.", []string{"live"}, nil)
)

// Metrics exports a limiter's state to Prometheus, computed at scrape time.
type Metrics struct {
	local    *Local
	fallback *Fallback
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics collects from local and fallback; either may be nil. With a
// Fallback and a nil local, the fallback's local limiter is reported.
func NewMetrics(local *Local, fallback *Fallback) *Metrics {
	if local == nil && fallback != nil {
		local = fallback.Local()
	}
	return &Metrics{local: local, fallback: fallback}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	if m.fallback != nil {
		ch <- descBackendUp
		ch <- descBreaker
		ch <- descBackendErrors
		ch <- descFallbacks
	}
	if m.local != nil {
		ch <- descLocalKeys
		ch <- descEvictions
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	if f := m.fallback; f != nil {
		st := f.State()
		up := 0.0
		if st.Healthy {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descBackendUp, prometheus.GaugeValue, up)
		for _, s := range []string{"closed", "half-open", "open"} {
			v := 0.0
			if s == st.Breaker {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descBreaker, prometheus.GaugeValue, v, s)
		}
		ch <- prometheus.MustNewConstMetric(descBackendErrors, prometheus.CounterValue, float64(st.Errors))
		ch <- prometheus.MustNewConstMetric(descFallbacks, prometheus.CounterValue, float64(st.Fallbacks), st.OnError)
	}
	if l := m.local; l != nil {
		total, live := l.Evictions()
		ch <- prometheus.MustNewConstMetric(descLocalKeys, prometheus.GaugeValue, float64(l.Len()))
		ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(live), "true")
		ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(total-live), "false")
	}
}
