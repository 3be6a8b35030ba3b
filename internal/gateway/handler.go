package gateway

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-sec/rampart/internal/finding"
)

type connKey struct{}

// connInfo is per connection; the TLS facts are read once, on the first
// request, because the handshake has not happened when ConnContext runs.
type connInfo struct {
	conn     net.Conn
	listener int
	once     sync.Once
	tls      *TLSInfo
}

func (ci *connInfo) tlsInfo(cs *tls.ConnectionState) *TLSInfo {
	ci.once.Do(func() {
		if cs == nil {
			return
		}
		info := &TLSInfo{}
		fingerprintOf(ci.conn, info)
		identityOf(cs, info)
		ci.tls = info
	})
	return ci.tls
}

// testHookServe, set only by tests, is called with +1 as a request's
// handler starts and -1 as it returns: the handlers actually running,
// which the upstream can only observe late.
var testHookServe atomic.Pointer[func(delta int)]

// ServeHTTP runs the guard chain of the request's route, then its handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := testHookServe.Load(); h != nil {
		(*h)(1)
		defer (*h)(-1)
	}
	st := s.state.Load()
	req := &Request{HTTP: r, Start: time.Now()}
	req.ClientIP, req.PeerTrusted = st.trust.clientIP(peerAddr(r.RemoteAddr), r.Header["X-Forwarded-For"])
	idh := st.cfg.RequestIDHeader
	if id := r.Header.Get(idh); req.PeerTrusted && validRequestID(id) {
		req.ID = id
	} else {
		req.ID = s.ids.next()
	}
	w.Header().Set(idh, req.ID)
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok {
		req.TLS = ci.tlsInfo(r.TLS)
	}
	if req.TLS != nil {
		s.m.Fingerprint(req.TLS.JA4)
	}

	sw := statusWriters.Get().(*statusWriter)
	sw.ResponseWriter, sw.status, sw.bytes = w, 0, 0
	defer func() {
		s.finish(req, sw)
		sw.ResponseWriter = nil
		statusWriters.Put(sw)
	}()

	if reason := malformed(r); reason != "" {
		req.Decisions = append(req.Decisions, "bad_request:"+reason)
		http.Error(sw, "bad request", http.StatusBadRequest)
		return
	}
	rt := st.table.match(r)
	if rt == nil {
		http.Error(sw, "no route", http.StatusNotFound)
		return
	}
	req.Route = rt
	if limit := st.cfg.Limits.MaxBodyBytes; limit > 0 {
		if r.ContentLength > limit {
			req.Decisions = append(req.Decisions, "body_too_large")
			http.Error(sw, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		// Bodies without a length are cut off at the limit while streaming.
		r.Body = http.MaxBytesReader(sw, r.Body, limit)
	}
	ctx := context.WithValue(r.Context(), requestKey{}, req)
	if v, blocked := s.runGuards(ctx, req); blocked {
		h := sw.Header()
		for k, vs := range v.Header {
			h[k] = vs
		}
		h.Set("Content-Type", blockContentType)
		h.Set("Cache-Control", "no-store")
		sw.WriteHeader(v.Status)
		_, _ = sw.Write(blockBody(req, v.Status))
		return
	}
	r = r.WithContext(ctx)
	req.HTTP = r
	rt.handler.ServeHTTP(sw, r)
}

// malformed catches what net/http lets through but no upstream should
// see; net/http itself answers 400 to unparsable requests.
func malformed(r *http.Request) string {
	switch {
	case r.Method == http.MethodConnect:
		return "connect"
	case r.URL.Path == "" || r.URL.Path[0] != '/':
		if r.Method == http.MethodOptions && r.RequestURI == "*" {
			return ""
		}
		return "path"
	case r.Host == "":
		return "host"
	}
	return ""
}

// runGuards runs the route's guards in order. A blocking verdict ends them:
// it is counted and recorded, with its Status set, and the caller answers
// it (with blockBody). Log-only verdicts are recorded and the chain goes on.
func (s *Server) runGuards(ctx context.Context, req *Request) (Verdict, bool) {
	for _, g := range req.Route.guards {
		v, err := g.Check(ctx, req)
		if err != nil {
			// Fail closed: a guard that cannot decide does not let traffic by.
			s.log.LogAttrs(ctx, slog.LevelError, "guard failed", slog.String("request_id", req.ID), slog.String("err", err.Error()))
			v = Verdict{Action: Block, Status: http.StatusServiceUnavailable, Reason: "guard_error"}
		}
		switch v.Action {
		case Block:
			if v.Status == 0 {
				v.Status = http.StatusForbidden
			}
			s.m.Blocks.WithLabelValues(req.Route.name, v.Reason, v.RuleID).Inc()
			req.Decisions = append(req.Decisions, v.Reason+":"+v.RuleID)
			s.emit(ctx, req, v, v.Status, nil)
			return v, true
		case LogOnly:
			req.Decisions = append(req.Decisions, v.Reason+":"+v.RuleID)
			s.emit(ctx, req, v, 0, nil)
		}
	}
	return Verdict{}, false
}

const blockContentType = "text/plain; charset=utf-8"

// blockBody is the body of a guard's refusal (sent with no-store).
func blockBody(req *Request, status int) []byte {
	return []byte(http.StatusText(status) + "\nrequest id: " + req.ID + "\n")
}

// emit records a security event.
func (s *Server) emit(ctx context.Context, req *Request, v Verdict, status int, ruleIDs []int) {
	if s.events == nil {
		return
	}
	action := "log"
	if v.Action == Block {
		action = "block"
		if v.Reason == "rate_limit" {
			action = "rate_limit"
		}
	}
	sev := finding.SeverityMedium
	if v.Action == LogOnly {
		sev = finding.SeverityLow
	}
	method, host, path := req.target()
	t := &finding.Traffic{
		RequestID: req.ID, Action: action, ClientIP: req.ClientIP.String(),
		Method: method, Host: host, Path: path, Status: status,
	}
	if req.Route != nil {
		t.Route = req.Route.name
	}
	if req.TLS != nil {
		t.JA4, t.JA3, t.Identity = req.TLS.JA4, req.TLS.JA3, req.TLS.Identity
	}
	f := finding.Finding{
		RuleID:   "gateway/" + v.Reason,
		Kind:     finding.KindTraffic,
		Severity: sev,
		Title:    "Request " + action + " (" + v.Reason + ")",
		Controls: []string{},
		Traffic:  t,
		Time:     req.Start.UTC(),
	}
	f.Message = fmtMessage(v, t.ClientIP, ruleIDs)
	f.SetFingerprint()
	_ = s.events.Emit(ctx, f)
}

// finish counts and logs the request.
func (s *Server) finish(req *Request, sw *statusWriter) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	s.account(req, status)
	r := req.HTTP
	if ctx := r.Context(); s.log.Enabled(ctx, slog.LevelInfo) {
		s.logRequest(ctx, req, r.Method, r.Host, r.URL.Path, r.Proto, status, sw.bytes)
	}
}

// account counts a finished request in its route's metrics.
func (s *Server) account(req *Request, status int) {
	rt := req.Route
	if rt == nil {
		return
	}
	if c := status / 100; c >= 1 && c <= 5 {
		rt.reqs[c].Inc()
	}
	rt.dur.Observe(time.Since(req.Start).Seconds())
}

// logRequest writes the access log line.
func (s *Server) logRequest(ctx context.Context, req *Request, method, host, path, proto string, status int, bytes int64) {
	now := time.Now()
	e := accessEntry{time: now, req: req, method: method, host: host, path: path, proto: proto,
		status: status, bytes: bytes, dur: now.Sub(req.Start)}
	if s.access != nil {
		s.access.write(&e)
		return
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", e.attrs()...)
}

// statusWriter records the status and size for logs and metrics. Unwrap
// lets http.ResponseController reach Flush and Hijack (streaming, Upgrade).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 || w.status < 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush is here too because some handlers test for http.Flusher directly.
func (w *statusWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func fmtMessage(v Verdict, ip string, ruleIDs []int) string {
	msg := v.Reason
	if v.RuleID != "" {
		msg += " " + v.RuleID
	}
	if len(ruleIDs) > 1 {
		ids := make([]string, len(ruleIDs))
		for i, id := range ruleIDs {
			ids[i] = strconv.Itoa(id)
		}
		msg += " (rules " + strings.Join(ids, ",") + ")"
	}
	return msg + " from " + ip
}
