package gateway

import (
	"context"
	"net/http"
	"strconv"

	"github.com/rampart-sec/rampart/internal/gateway/waf"
)

// newWAF builds a route's WAF; routes with equal settings share the
// compiled rule set inside package waf.
func (s *state) newWAF(ctx context.Context, rt *route, cfg waf.Config, d deps) (*waf.WAF, error) {
	return waf.New(ctx, cfg, waf.Options{
		Logger: d.log,
		ClientAddr: func(r *http.Request) (string, int) {
			if req, ok := RequestFrom(r.Context()); ok {
				return req.ClientIP.String(), 0
			}
			a := peerAddr(r.RemoteAddr)
			return a.String(), 0
		},
		RequestID: func(r *http.Request) string {
			if req, ok := RequestFrom(r.Context()); ok {
				return req.ID
			}
			return ""
		},
		OnDecision: func(r *http.Request, dec waf.Decision) {
			req, ok := RequestFrom(r.Context())
			if !ok {
				return
			}
			ruleID := ""
			if len(dec.RuleIDs) > 0 {
				ruleID = strconv.Itoa(dec.RuleIDs[0])
			}
			for _, id := range dec.RuleIDs {
				req.Decisions = append(req.Decisions, "waf_"+dec.Action+":"+strconv.Itoa(id))
			}
			v := Verdict{Action: LogOnly, Reason: "waf", RuleID: ruleID, Status: dec.Status}
			if dec.Action == "block" || dec.Action == "error" {
				v.Action = Block
				d.metrics.Blocks.WithLabelValues(rt.name, "waf", ruleID).Inc()
			}
			d.emit(r.Context(), req, v, dec.Status, dec.RuleIDs)
		},
	})
}
