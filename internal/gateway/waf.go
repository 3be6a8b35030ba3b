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
			ruleID := labelRule(dec.RuleIDs)
			for _, id := range dec.RuleIDs {
				req.Decisions = append(req.Decisions, "waf_"+dec.Action+":"+strconv.Itoa(id))
			}
			v := Verdict{Action: LogOnly, Reason: "waf", RuleID: ruleID, Status: dec.Status}
			if dec.Action == "block" || dec.Action == "error" {
				v.Action = Block
				d.metrics.Blocks.WithLabelValues(rt.name, "waf", ruleID).Inc()
			} else if cfg.Mode != waf.ModeDetect {
				// In block mode, matches below the anomaly threshold are
				// noise for the event stream; they stay in the access log.
				return
			}
			d.emit(r.Context(), req, v, dec.Status, dec.RuleIDs)
		},
	})
}

// labelRule picks the rule id a block is counted under: the highest id
// below CRS's anomaly evaluation rules (949xxx and up), because CRS numbers
// attack rules (93xxxx-94xxxx) above protocol checks (92xxxx) and the
// attack is what an operator wants to see.
func labelRule(ids []int) string {
	best := 0
	for _, id := range ids {
		if id < 949000 && id > best {
			best = id
		}
	}
	if best == 0 && len(ids) > 0 {
		best = ids[0]
	}
	if best == 0 {
		return ""
	}
	return strconv.Itoa(best)
}
