package server

import (
	"net/http"
	"strings"
	"sync"

	"github.com/wardhq/ward/internal/auth/userpass"
)

// param returns the value of the route parameter name ("env", "path",
// "user", ...), "" when the route has none.
func (r *request) param(name string) string { return r.params[name] }

// compiledRoute is a row of routes made ready for matching once, so that
// matching a request allocates nothing until a row matches.
type compiledRoute struct {
	*route
	segs       []string // the pattern's segments
	restName   string   // the name of a final {name...} parameter, or ""
	collection bool     // the pattern ends in "/"
	methods    map[string]bool
}

// routing is the table of routes made ready for matching, with its index,
// built for the first request rather than at init: every ward command
// starts this binary, and few of them serve requests.
var routing = sync.OnceValue(func() *router {
	t := compile(routes)
	return &router{table: t, index: newRouteIndex(t)}
})

type router struct {
	table []compiledRoute
	index *routeIndex
}

func compile(rows []route) []compiledRoute {
	out := make([]compiledRoute, len(rows))
	for i := range rows {
		rt := &rows[i]
		c := compiledRoute{route: rt, methods: map[string]bool{}}
		pattern := rt.pattern
		if strings.HasSuffix(pattern, "/") {
			c.collection, pattern = true, strings.TrimSuffix(pattern, "/")
		}
		c.segs = strings.Split(pattern, "/")
		if name, ok := restParam(c.segs[len(c.segs)-1]); ok {
			c.restName, c.segs = name, c.segs[:len(c.segs)-1]
		}
		for _, m := range strings.Split(rt.methods, "|") {
			c.methods[m] = true
		}
		out[i] = c
	}
	return out
}

// findRoute returns the row of routes that answers method on p, with its
// parameters checked and normalised. A path that no pattern matches is a
// 404; one that some pattern matches but not for this method, a 405.
func findRoute(method, p string) (*route, map[string]string, error) {
	r := routing()
	return findRouteIn(r.table, method, p, r.index.rows(p))
}

// findRouteIn is findRoute trying only the given rows of table, in order.
func findRouteIn(table []compiledRoute, method, p string, rows []int) (*route, map[string]string, error) {
	pathKnown := false
	for _, i := range rows {
		c := &table[i]
		if !c.matches(p) {
			continue
		}
		pathKnown = true
		if !c.methods[method] {
			continue
		}
		params := c.params(p)
		if err := checkParams(params); err != nil {
			return nil, nil, err
		}
		return c.route, params, nil
	}
	if pathKnown {
		return nil, nil, errorf(http.StatusMethodNotAllowed, "method %s is not supported on %s", method, p)
	}
	return nil, nil, unknownPath(p)
}

// matches reports whether p matches the row's pattern (see
// route.pattern), without allocating.
func (c *compiledRoute) matches(p string) bool {
	if c.collection {
		p = strings.TrimSuffix(p, "/")
	}
	_, ok := c.walk(p, nil)
	return ok
}

// params returns the parameters of p, which matches.
func (c *compiledRoute) params(p string) map[string]string {
	if c.collection {
		p = strings.TrimSuffix(p, "/")
	}
	params := map[string]string{}
	rest, _ := c.walk(p, params)
	if c.restName != "" {
		params[c.restName] = rest
	}
	return params
}

// walk matches p's segments against the pattern's fixed segments, filling
// params when it is not nil, and returns what follows them. Without a
// final {name...} parameter nothing may follow; with one, p may also end
// right after the fixed segments.
func (c *compiledRoute) walk(p string, params map[string]string) (string, bool) {
	rest := p
	for i, seg := range c.segs {
		cur, after, more := strings.Cut(rest, "/")
		last := i == len(c.segs)-1
		switch {
		case !more && !last:
			return "", false
		case seg[0] != '{':
			if cur != seg {
				return "", false
			}
		default:
			name := seg[1 : len(seg)-1]
			if cur == "" || name == "env" && (cur == "sys" || cur == "auth") {
				return "", false // sys/ and auth/ are API prefixes, never environments
			}
			if params != nil {
				params[name] = cur
			}
		}
		if last {
			if c.restName == "" {
				return "", !more
			}
			return after, true
		}
		rest = after
	}
	return rest, c.restName != ""
}

// restParam reports whether seg is a {name...} parameter, and its name.
func restParam(seg string) (string, bool) {
	if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "...}") {
		return "", false
	}
	return seg[1 : len(seg)-4], true
}

// checkParams checks and normalises a matched route's parameters.
func checkParams(params map[string]string) error {
	if p, ok := params["path"]; ok && (p == "" || strings.HasSuffix(p, "/")) {
		return errorf(http.StatusBadRequest, "missing secret path; name a secret, like payments/db")
	}
	if p, ok := params["prefix"]; ok && p != "" && !strings.HasSuffix(p, "/") {
		params["prefix"] = p + "/"
	}
	if u, ok := params["user"]; ok {
		name, err := userpass.Normalize(u)
		if err != nil {
			return errorf(http.StatusBadRequest, "%v", err)
		}
		params["user"] = name
	}
	return nil
}

// policyPath substitutes params into a route's policy template; "" gives
// the request's path.
func policyPath(tmpl, reqPath string, params map[string]string) string {
	if tmpl == "" {
		return reqPath
	}
	for k, v := range params {
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", v)
	}
	return tmpl
}

// unknownPath says which paths exist near p.
func unknownPath(p string) error {
	head, rest, _ := strings.Cut(p, "/")
	switch head {
	case "":
		return errNotFound
	case "sys":
		return errorf(http.StatusNotFound, "unknown system path %q", rest)
	case "auth":
		return errorf(http.StatusNotFound, "unknown auth path %q; see auth/token/*, auth/userpass/* and auth/jwt/*", rest)
	}
	kind, _, _ := strings.Cut(rest, "/")
	return errorf(http.StatusNotFound, "unknown path %q in environment %q; KV v2 paths are %s/data/PATH, %s/metadata/PATH, %s/delete|undelete|destroy/PATH and %s/config", kind, head, head, head, head, head)
}
