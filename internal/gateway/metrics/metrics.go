// Package metrics is the gateway's Prometheus instrumentation on its own
// registry (never the global default one).
package metrics

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxFingerprints bounds the ja4 label: the first MaxFingerprints distinct
// JA4 values get their own series, every later one is counted as "other".
// First-seen rather than top-N keeps the hot path to one map lookup; the
// full value of every request is in the logs and events anyway.
const MaxFingerprints = 200

// Metrics holds every collector the gateway updates.
type Metrics struct {
	Registry *prometheus.Registry

	Requests        *prometheus.CounterVec
	Blocks          *prometheus.CounterVec
	RateLimited     *prometheus.CounterVec
	Fingerprints    *prometheus.CounterVec
	Duration        *prometheus.HistogramVec
	UpstreamDur     *prometheus.HistogramVec
	UpstreamHealthy *prometheus.GaugeVec
	Shed            *prometheus.CounterVec
	ConnRejected    *prometheus.CounterVec
	Handoffs        *prometheus.CounterVec
	EventsDropped   prometheus.Counter
	Reloads         *prometheus.CounterVec
	Retries         *prometheus.CounterVec
	Ejections       *prometheus.CounterVec

	mu  sync.RWMutex
	fps map[string]prometheus.Counter
}

// New registers the collectors on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_requests_total", Help: "Requests by route and response status class.",
		}, []string{"route", "code"}),
		Blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_blocks_total", Help: "Requests blocked by reason (ip_deny, ja4_deny, waf, ...) and rule id.",
		}, []string{"route", "reason", "rule_id"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_rate_limited_total", Help: "Requests over a rate limit, by route, limit and action.",
		}, []string{"route", "limit", "action"}),
		Fingerprints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_tls_fingerprints_total",
			Help: "TLS requests by client JA4; the first " + strconv.Itoa(MaxFingerprints) + " distinct values are labelled, later ones count as other.",
		}, []string{"ja4"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_gateway_request_duration_seconds", Help: "Time from request headers to the end of the response, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"route"}),
		UpstreamDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_gateway_upstream_duration_seconds", Help: "Time to the upstream's response headers, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"route"}),
		UpstreamHealthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rampart_gateway_upstream_healthy", Help: "1 when an upstream target takes traffic (healthy and not ejected).",
		}, []string{"route", "target"}),
		Shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_shed_total", Help: "Requests answered 503 because the upstream's in-flight limit and queue were full.",
		}, []string{"route"}),
		Handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_evloop_handoffs_total",
			Help: "Connections the evloop engine handed to the fasthttp engine, by the first request's reason.",
		}, []string{"reason"}),
		ConnRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_connections_rejected_total", Help: "Connections closed at accept by reason (total, per_ip, rate).",
		}, []string{"reason"}),
		EventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rampart_gateway_events_dropped_total", Help: "Security events dropped because the event queue was full.",
		}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_reloads_total", Help: "Configuration reloads by result.",
		}, []string{"result"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_upstream_retries_total", Help: "Idempotent requests retried on another target.",
		}, []string{"route"}),
		Ejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_gateway_upstream_ejections_total", Help: "Targets ejected after consecutive failures.",
		}, []string{"route", "target"}),
		fps: map[string]prometheus.Counter{},
	}
	m.Registry.MustRegister(m.Requests, m.Blocks, m.RateLimited, m.Fingerprints, m.Duration, m.UpstreamDur,
		m.UpstreamHealthy, m.Shed, m.ConnRejected, m.Handoffs, m.EventsDropped, m.Reloads, m.Retries, m.Ejections,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Fingerprint counts one request with this JA4.
func (m *Metrics) Fingerprint(ja4 string) {
	if ja4 == "" {
		return
	}
	m.mu.RLock()
	c, ok := m.fps[ja4]
	n := len(m.fps)
	m.mu.RUnlock()
	if !ok {
		m.mu.Lock()
		if c, ok = m.fps[ja4]; !ok {
			label := ja4
			if n >= MaxFingerprints {
				label = "other"
			}
			c = m.Fingerprints.WithLabelValues(label)
			if label != "other" {
				m.fps[ja4] = c
			}
		}
		m.mu.Unlock()
	}
	c.Inc()
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// StatusClass is the code label: 1xx ... 5xx.
func StatusClass(code int) string {
	switch {
	case code < 200:
		return "1xx"
	case code < 300:
		return "2xx"
	case code < 400:
		return "3xx"
	case code < 500:
		return "4xx"
	default:
		return "5xx"
	}
}
