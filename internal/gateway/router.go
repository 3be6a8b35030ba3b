package gateway

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// table finds a request's route: exact hosts before wildcards before
// routes without a host, then the longest path prefix, matched on whole
// path segments ("/api" matches "/api" and "/api/x", not "/apix").
type table struct {
	routes []*route
}

func hostRank(h string) int {
	switch {
	case h == "":
		return 2
	case strings.HasPrefix(h, "*."):
		return 1
	}
	return 0
}

func newTable(routes []*route) *table {
	sorted := slices.Clone(routes)
	slices.SortStableFunc(sorted, func(a, b *route) int {
		if c := cmp.Compare(hostRank(a.host), hostRank(b.host)); c != 0 {
			return c
		}
		return cmp.Compare(len(b.prefix), len(a.prefix))
	})
	return &table{routes: sorted}
}

func (t *table) match(r *http.Request) *route {
	host := requestHost(r.Host)
	path := r.URL.Path
	for _, rt := range t.routes {
		if hostMatches(rt.host, host) && pathMatches(rt.prefix, path) {
			return rt
		}
	}
	return nil
}

// requestHost strips the port and lower-cases (allocating only when the
// host has upper-case letters).
func requestHost(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.IndexFunc(h, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
		h = strings.ToLower(h)
	}
	return strings.TrimSuffix(h, ".")
}

func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasPrefix(pattern, "*."):
		// One or more labels before the domain, never the bare domain.
		return len(host) > len(pattern)-1 && strings.HasSuffix(host, pattern[1:])
	}
	return pattern == host
}

func pathMatches(prefix, path string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/'
}
