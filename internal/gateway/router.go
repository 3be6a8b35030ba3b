package gateway

import (
	"cmp"
	"net/http"
	"path"
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
	return t.lookup(r.Host, cleanPath(r.URL.Path))
}

// lookup finds the route of a Host header value and a decoded, cleaned path.
func (t *table) lookup(hostHeader, path string) *route {
	host := requestHost(hostHeader)
	for _, rt := range t.routes {
		if hostMatches(rt.host, host) && pathMatches(rt.prefix, path) {
			return rt
		}
	}
	return nil
}

// cleanPath removes duplicate slashes and dot segments, as the upstream
// will when it resolves the path: routing on "/public/../admin" as written
// would send a request for /admin through /public's guards. A trailing
// slash stays, and a final dot segment leaves one ("/a/b/.." is "/a/", RFC
// 3986 section 5.2.4), as in fasthttp's URI.Path, so both HTTP/1.1 engines
// route alike.
func cleanPath(p string) string {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	c := path.Clean("/" + p)
	if c != "/" && (strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")) {
		c += "/"
	}
	return c
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
