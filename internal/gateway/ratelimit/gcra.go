package ratelimit

import "time"

// cell is the whole per-key state: the theoretical arrival time and the end
// of a mitigation block, both as nanoseconds on the limiter's clock.
type cell struct {
	tat     int64
	blocked int64
}

// live reports whether c still holds anything at now; a dead cell is the
// same as no cell, so dropping it loses nothing.
func (c cell) live(now int64) bool { return c.tat > now || c.blocked > now }

// gcra decides one request at now (nanoseconds) and returns the new state.
// gcraLua in redis.go is the same function in microseconds; keep
// them together.
func gcra(c cell, now int64, r *Rule) (cell, Decision) {
	t := int64(r.interval())
	tau := int64(r.tolerance())
	d := Decision{Limit: r.Rate, Rule: r}
	if c.blocked > now {
		d.RetryAfter = time.Duration(c.blocked - now)
		d.ResetAfter = time.Duration(max(c.tat, c.blocked) - now)
		return c, d
	}
	tat := max(c.tat, now)
	next := tat + t
	if next-now > tau {
		// Refused: the key's state is unchanged, so a client hammering a
		// closed limit does not push its own recovery further away.
		d.RetryAfter = time.Duration(next - tau - now)
		d.ResetAfter = time.Duration(tat - now)
		if m := int64(r.MitigationTimeout); m > 0 {
			c.blocked = now + m
			d.RetryAfter = max(d.RetryAfter, time.Duration(m))
			d.ResetAfter = max(d.ResetAfter, time.Duration(m))
		}
		return c, d
	}
	c.tat = next
	d.Allowed = true
	d.Remaining = int((tau - (next - now)) / t)
	d.ResetAfter = time.Duration(next - now)
	return c, d
}
