// Package waf is the gateway's web application firewall: Coraza v3 running
// the OWASP Core Rule Set v4 (embedded), as an http middleware with per-route
// mode, paranoia level, thresholds, exclusions and body limits.
//
// The middleware is Rampart's own rather than coraza/http.WrapHandler because
// that handler answers an internal error with an empty 200, truncates nothing
// but also cannot skip an oversized body, and always buffers responses; a
// security component must fail closed and say why.
package waf

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/corazawaf/coraza/v3/experimental"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
)

// Decision is what the WAF concluded about one request.
type Decision struct {
	// Action is "block" (the request was refused), "log" (rules matched but
	// the request went on) or "error" (the WAF failed; see FailOpen).
	Action string
	// Status is the status the client got for block and error, 0 for log.
	Status int
	// RuleIDs are the ids of the matched rules that carry a message.
	RuleIDs []int
	// Message is the message of the interrupting rule, or of the error.
	Message string
	// AnomalyScore is CRS's blocking inbound anomaly score (plus the outbound
	// score when responses are inspected).
	AnomalyScore int
}

// Options are the per-route collaborators of a WAF.
type Options struct {
	// Logger receives decisions and errors; nil discards them.
	Logger *slog.Logger
	// ClientAddr returns the client address; nil uses r.RemoteAddr.
	ClientAddr func(*http.Request) (ip string, port int)
	// RequestID returns the request's id; nil generates a random one.
	RequestID func(*http.Request) string
	// OnDecision is called for every request on which a rule matched or the
	// WAF failed; nil ignores decisions.
	OnDecision func(r *http.Request, d Decision)
}

// WAF is one route's firewall. Routes with the same Config share the
// compiled rules underneath.
type WAF struct {
	cfg       Config
	opts      Options
	log       *slog.Logger
	eng       *engine // nil in ModeOff
	blockBody string
	closeOnce sync.Once

	// observe, when set by tests, sees every transaction before it closes.
	observe func(r *http.Request, id string, matched []types.MatchedRule)
}

// ErrInternal marks failures of the WAF itself, as opposed to verdicts.
var ErrInternal = errors.New("waf internal error")

// New validates cfg, applies defaults and returns a WAF. The CRS is compiled
// once per distinct configuration and shared.
func New(ctx context.Context, cfg Config, opts Options) (*WAF, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("new waf: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	w := &WAF{cfg: cfg, opts: opts, log: opts.Logger, blockBody: cfg.BlockBody}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Mode == ModeOff {
		return w, nil
	}
	// Before any rules compile: Coraza resolves operators at parse time.
	registerOperators()
	eng, err := acquireEngine(cfg)
	if err != nil {
		return nil, fmt.Errorf("new waf: %w", err)
	}
	w.eng = eng
	w.log.DebugContext(ctx, "waf ready", slog.String("mode", string(cfg.Mode)),
		slog.Int("paranoia_level", cfg.ParanoiaLevel), slog.Bool("inspect_response", cfg.InspectResponse))
	return w, nil
}

// Close releases the shared rules when the last WAF using them closes.
func (w *WAF) Close() error {
	var err error
	w.closeOnce.Do(func() {
		if w.eng != nil {
			err = w.eng.release()
		}
	})
	return err
}

// Wrap returns next behind the WAF.
func (w *WAF) Wrap(next http.Handler) http.Handler {
	if w.cfg.Mode == ModeOff {
		return next
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.serve(rw, r, next)
	})
}

// idSafe keeps a request id fit for a header and a body: an id taken from a
// client header must not inject anything into the block page.
func idSafe(id string) string {
	if len(id) > 128 {
		id = id[:128]
	}
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return -1
	}, id)
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func (w *WAF) requestID(r *http.Request) string {
	var id string
	if w.opts.RequestID != nil {
		id = idSafe(w.opts.RequestID(r))
	}
	if id == "" {
		id = newRequestID()
	}
	return id
}

func (w *WAF) serve(rw http.ResponseWriter, r *http.Request, next http.Handler) {
	id := w.requestID(r)
	tx := w.eng.txs.NewTransactionWithOptions(experimental.Options{ID: id, Context: r.Context()})
	defer func() {
		if w.cfg.InspectResponse {
			// Phase 5 (CRS 980 correlation) is part of full inspection; with
			// no audit log it is skipped otherwise.
			tx.ProcessLogging()
		}
		if w.observe != nil {
			w.observe(r, id, tx.MatchedRules())
		}
		if err := tx.Close(); err != nil {
			w.log.WarnContext(r.Context(), "close waf transaction", slog.String("request_id", id), slog.Any("error", err))
		}
	}()

	it, oversize, err := w.inspectRequest(tx, r)
	if err == nil && it == nil && w.oversizeSkipped(oversize) {
		w.log.InfoContext(r.Context(), "waf passed a body over body_limit uninspected",
			slog.String("request_id", id), slog.Int64("body_limit", w.cfg.BodyLimit))
	}
	switch {
	case err != nil:
		w.fail(rw, r, tx, id, err, next)
		return
	case oversize && w.cfg.BodyLimitAction == BodyLimitReject:
		w.refuse(rw, r, tx, id, http.StatusRequestEntityTooLarge, Decision{
			Action: "block", Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("request body over body_limit of %d bytes", w.cfg.BodyLimit),
		})
		return
	case it != nil:
		w.block(rw, r, tx, id, it)
		return
	}

	if !w.cfg.InspectResponse {
		// No response phases at all: nothing is buffered or evaluated.
		w.report(r, tx, id, nil)
		next.ServeHTTP(rw, r)
		return
	}
	resp := &inspectingWriter{rw: rw, tx: tx, proto: r.Proto, header: http.Header{}}
	next.ServeHTTP(resp, r)
	it, err = resp.finish()
	switch {
	case err != nil && !resp.committed && w.cfg.FailOpen:
		w.log.ErrorContext(r.Context(), "waf failed", slog.String("request_id", id), slog.Bool("fail_open", true), slog.Any("error", err))
		w.emit(r, id, Decision{Action: "error", Message: err.Error()})
		if err := resp.flushUninspected(); err != nil {
			w.log.WarnContext(r.Context(), "write response", slog.String("request_id", id), slog.Any("error", err))
		}
	case err != nil && !resp.committed:
		w.fail(rw, r, tx, id, err, nil)
	case err != nil:
		// Headers already went out (a body over the inspection limit that
		// streams on); the error can only be logged.
		w.log.ErrorContext(r.Context(), "waf response inspection", slog.String("request_id", id), slog.Any("error", err))
	case it != nil && !resp.committed:
		w.block(rw, r, tx, id, it)
	default:
		w.report(r, tx, id, nil)
	}
}

// inspectRequest runs phases 1 and 2. oversize reports a body over
// body_limit; with action skip the body then reaches the upstream untouched
// and uninspected, with reject the caller answers 413. A panic inside Coraza
// becomes an error so that the request fails closed instead of crashing.
func (w *WAF) inspectRequest(tx types.Transaction, r *http.Request) (it *types.Interruption, oversize bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			it, oversize, err = nil, false, fmt.Errorf("%w: panic in rule evaluation: %v", ErrInternal, p)
		}
	}()
	ip, port := w.clientAddr(r)
	srvIP, srvPort := serverAddr(r)
	tx.ProcessConnection(ip, port, srvIP, srvPort)
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	tx.ProcessURI(uri, r.Method, r.Proto)
	for k, vs := range r.Header {
		for _, v := range vs {
			tx.AddRequestHeader(k, v)
		}
	}
	// net/http moves Host and Transfer-Encoding out of r.Header; the CRS
	// protocol rules (920280, 920171, smuggling checks) need them back.
	if r.Host != "" {
		tx.AddRequestHeader("Host", r.Host)
		tx.SetServerName(hostOnly(r.Host))
	} else if r.ProtoAtLeast(1, 1) {
		// net/http refuses HTTP/1.1 without a Host header, so an empty
		// r.Host here means an empty header, which CRS 920290 looks for.
		tx.AddRequestHeader("Host", "")
	}
	for _, te := range r.TransferEncoding {
		tx.AddRequestHeader("Transfer-Encoding", te)
	}
	if it := tx.ProcessRequestHeaders(); it != nil {
		return it, false, nil
	}

	if hasBody(r) && tx.IsRequestBodyAccessible() {
		over, err := w.feedBody(tx, r)
		if err != nil {
			return nil, false, err
		}
		if over {
			if w.cfg.BodyLimitAction == BodyLimitReject {
				return nil, true, nil
			}
			oversize = true
		}
	}
	it, err = tx.ProcessRequestBody()
	if err != nil {
		return nil, false, fmt.Errorf("%w: process request body: %w", ErrInternal, err)
	}
	// An oversized body under action skip is passed on uninspected; the
	// verdict covers the headers and query only.
	return it, oversize, nil
}

// oversizeSkipped reports a body that went to the upstream uninspected.
func (w *WAF) oversizeSkipped(oversize bool) bool {
	return oversize && w.cfg.BodyLimitAction == BodyLimitSkip
}

func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// feedBody reads at most body_limit bytes into Coraza and restores r.Body for
// the upstream. It reports over=true, without handing Coraza a byte, when the
// body is larger than the limit: a body is inspected whole or not at all,
// never silently truncated.
func (w *WAF) feedBody(tx types.Transaction, r *http.Request) (over bool, err error) {
	limit := w.cfg.BodyLimit
	if r.ContentLength > limit {
		return true, nil // declared too large: decide without reading
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		bodyPool.Put(buf)
		return false, fmt.Errorf("%w: read request body: %w", ErrInternal, err)
	}
	if n > limit {
		// Chunked body that turned out too large: hand what was read plus the
		// rest to the upstream, uninspected (or rejected by the caller).
		rest := r.Body
		data := bytes.Clone(buf.Bytes())
		bodyPool.Put(buf)
		r.Body = readCloser{io.MultiReader(bytes.NewReader(data), rest), rest}
		return true, nil
	}
	if it, _, err := tx.WriteRequestBody(buf.Bytes()); err != nil {
		bodyPool.Put(buf)
		return false, fmt.Errorf("%w: buffer request body: %w", ErrInternal, err)
	} else if it != nil {
		// Coraza's own limit is at least ours, so this cannot trigger; if it
		// ever did, treat it as an oversized body rather than ignore it.
		bodyPool.Put(buf)
		return true, nil
	}
	data := bytes.Clone(buf.Bytes())
	bodyPool.Put(buf)
	orig := r.Body
	r.Body = readCloser{bytes.NewReader(data), orig}
	r.ContentLength = int64(len(data))
	return false, nil
}

// bodyPool reuses read buffers across requests; the bytes handed upstream are
// a copy because the upstream may hold the body past the transaction.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

type readCloser struct {
	io.Reader
	io.Closer
}

func (w *WAF) clientAddr(r *http.Request) (string, int) {
	if w.opts.ClientAddr != nil {
		return w.opts.ClientAddr(r)
	}
	return splitHostPort(r.RemoteAddr)
}

func serverAddr(r *http.Request) (string, int) {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return splitHostPort(a.String())
	}
	return "", 0
}

func splitHostPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// block answers an interruption.
func (w *WAF) block(rw http.ResponseWriter, r *http.Request, tx types.Transaction, id string, it *types.Interruption) {
	status := it.Status
	if status < 400 || status > 599 {
		status = http.StatusForbidden
	}
	d := w.decision(tx, it)
	d.Action, d.Status = "block", status
	w.refuse(rw, r, tx, id, status, d)
}

func (w *WAF) refuse(rw http.ResponseWriter, r *http.Request, tx types.Transaction, id string, status int, d Decision) {
	if d.RuleIDs == nil && d.AnomalyScore == 0 {
		full := w.decision(tx, nil)
		d.RuleIDs, d.AnomalyScore = full.RuleIDs, full.AnomalyScore
	}
	w.emit(r, id, d)
	h := rw.Header()
	h.Set("X-Request-Id", id)
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "close") // the unread rest of a refused body is not drained
	body := strings.ReplaceAll(w.blockBody, "{request_id}", id)
	if status == http.StatusForbidden {
		if strings.HasPrefix(strings.TrimSpace(body), "{") {
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
	} else {
		body = fmt.Sprintf("%s (request id %s)\n", http.StatusText(status), id)
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, body)
}

// fail handles an error of the WAF itself: 500 (fail closed) unless
// fail_open, in which case next (when given) serves the request uninspected.
func (w *WAF) fail(rw http.ResponseWriter, r *http.Request, tx types.Transaction, id string, err error, next http.Handler) {
	w.log.ErrorContext(r.Context(), "waf failed", slog.String("request_id", id), slog.Bool("fail_open", w.cfg.FailOpen), slog.Any("error", err))
	d := Decision{Action: "error", Status: http.StatusInternalServerError, Message: err.Error()}
	if w.cfg.FailOpen && next != nil {
		d.Status = 0
		w.emit(r, id, d)
		next.ServeHTTP(rw, r)
		return
	}
	w.emit(r, id, d)
	h := rw.Header()
	h.Set("X-Request-Id", id)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Connection", "close")
	rw.WriteHeader(http.StatusInternalServerError)
	_, _ = fmt.Fprintf(rw, "internal error (request id %s)\n", id)
}

// report emits a log decision when rules matched without interrupting.
func (w *WAF) report(r *http.Request, tx types.Transaction, id string, it *types.Interruption) {
	d := w.decision(tx, it)
	if len(d.RuleIDs) == 0 {
		return
	}
	d.Action = "log"
	w.emit(r, id, d)
}

func (w *WAF) emit(r *http.Request, id string, d Decision) {
	level := slog.LevelInfo
	if d.Action == "error" {
		level = slog.LevelError
	}
	w.log.Log(r.Context(), level, "waf decision", slog.String("request_id", id), slog.String("action", d.Action),
		slog.Int("status", d.Status), slog.Any("rule_ids", d.RuleIDs), slog.Int("anomaly_score", d.AnomalyScore), slog.String("message", d.Message))
	if w.opts.OnDecision != nil {
		w.opts.OnDecision(r, d)
	}
}

// decision collects the matched rules from the transaction (not from logs).
func (w *WAF) decision(tx types.Transaction, it *types.Interruption) Decision {
	var d Decision
	for _, mr := range tx.MatchedRules() {
		if l, ok := mr.(interface{ Log() bool }); (ok && !l.Log()) || mr.Message() == "" {
			continue // CRS bookkeeping rules (nolog)
		}
		rid := mr.Rule().ID()
		d.RuleIDs = append(d.RuleIDs, rid)
		if it != nil && rid == it.RuleID {
			d.Message = mr.Message()
		}
	}
	if ts, ok := tx.(plugintypes.TransactionState); ok {
		txv := ts.Variables().TX()
		d.AnomalyScore = firstInt(txv.Get("blocking_inbound_anomaly_score")) + firstInt(txv.Get("blocking_outbound_anomaly_score"))
	}
	return d
}

func firstInt(vs []string) int {
	if len(vs) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(vs[0])
	return n
}
