package server

import (
	"net/http"
	"strings"

	"github.com/wardhq/ward/internal/auth/userpass"
)

// param returns the value of the route parameter name ("env", "path",
// "user", ...), "" when the route has none.
func (r *request) param(name string) string { return r.params[name] }

// findRoute returns the row of routes that answers method on p, with its
// parameters checked and normalised. A path that no pattern matches is a
// 404; one that some pattern matches but not for this method, a 405.
func findRoute(method, p string) (*route, map[string]string, error) {
	pathKnown := false
	for i := range routes {
		rt := &routes[i]
		params, ok := matchPattern(rt.pattern, p)
		if !ok {
			continue
		}
		pathKnown = true
		if !hasMethod(rt.methods, method) {
			continue
		}
		if err := checkParams(params); err != nil {
			return nil, nil, err
		}
		return rt, params, nil
	}
	if pathKnown {
		return nil, nil, errorf(http.StatusMethodNotAllowed, "method %s is not supported on %s", method, p)
	}
	return nil, nil, unknownPath(p)
}

func hasMethod(methods, m string) bool {
	for _, x := range strings.Split(methods, "|") {
		if x == m {
			return true
		}
	}
	return false
}

// matchPattern matches p against a route pattern (see route.pattern) and
// returns the parameters.
func matchPattern(pattern, p string) (map[string]string, bool) {
	if strings.HasSuffix(pattern, "/") { // a collection: with or without the slash
		pattern, p = strings.TrimSuffix(pattern, "/"), strings.TrimSuffix(p, "/")
	}
	var params map[string]string
	set := func(k, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	segs := strings.Split(pattern, "/")
	rest := p
	for i, seg := range segs {
		if name, ok := restParam(seg); ok {
			set(name, rest)
			return params, true
		}
		cur, after, more := strings.Cut(rest, "/")
		if !more && i < len(segs)-1 {
			if _, ok := restParam(segs[i+1]); !ok || i+1 != len(segs)-1 {
				return nil, false
			}
		}
		switch name, isParam := strings.CutPrefix(seg, "{"); {
		case !isParam:
			if cur != seg {
				return nil, false
			}
		default:
			name = strings.TrimSuffix(name, "}")
			if cur == "" || name == "env" && (cur == "sys" || cur == "auth") {
				return nil, false // sys/ and auth/ are API prefixes, never environments
			}
			set(name, cur)
		}
		if i == len(segs)-1 && more {
			return nil, false
		}
		rest = after
	}
	return params, true
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
