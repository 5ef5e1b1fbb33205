package server

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// Every route names how it is authorized, and what it needs for that mode.
func TestRouteTableModes(t *testing.T) {
	for _, rt := range routes {
		name := rt.methods + " " + rt.pattern
		switch rt.mode {
		case byPolicy:
			if (rt.cap == "") == (rt.capFor == nil) {
				t.Errorf("%s: a policy route names a capability or a capFor, one of them", name)
			}
		case byRoot:
			if rt.cap == "" || rt.capFor != nil || rt.policy != "" {
				t.Errorf("%s: a root route names the capability it audits, and no policy path", name)
			}
		case bySelf, perSecret:
			if rt.cap != "" || rt.capFor != nil || rt.auditOp == "" {
				t.Errorf("%s: a %s route has no capability and names its audited operation", name, rt.mode)
			}
		case unauthenticated, whileSealed:
			if rt.cap != "" || rt.capFor != nil || rt.policy != "" {
				t.Errorf("%s: a route without a token has no capability or policy path", name)
			}
		default:
			t.Errorf("%s: no authorization mode", name)
		}
		if rt.handler == nil {
			t.Errorf("%s: no handler", name)
		}
	}
}

// samplePath fills a pattern's parameters with plausible values.
func samplePath(pattern string) string {
	r := strings.NewReplacer("{env}", "dev", "{name}", "x", "{user}", "alice",
		"{path...}", "app/db", "{prefix...}", "app/", "{mount...}", "dev/", "{rest...}", "x")
	return r.Replace(pattern)
}

// Every row is reachable: no earlier row shadows it for any of its methods.
func TestRouteTableReachable(t *testing.T) {
	for i := range routes {
		rt := &routes[i]
		p := samplePath(rt.pattern)
		for _, m := range strings.Split(rt.methods, "|") {
			got, _, err := findRoute(m, p)
			if err != nil || got != rt {
				t.Errorf("%s %s reaches %v (%v), not the row for %s", m, p, got, err, rt.pattern)
			}
		}
	}
}

// documentedRoutes reads the lists under "# Routes without a token" in the
// package doc: the first list is the unauthenticated routes, the second
// those that also answer while sealed.
func documentedRoutes(t *testing.T) (unauth, sealed []string) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "// # Routes without a token\n")
	if !ok {
		t.Fatal(`doc.go has no "# Routes without a token" section`)
	}
	list := 0
	inList := false
	for _, line := range strings.Split(section, "\n") {
		item, isItem := strings.CutPrefix(line, "//\t")
		switch {
		case isItem && !inList:
			list++
			inList = true
			fallthrough
		case isItem:
			if list == 1 {
				unauth = append(unauth, item)
			} else {
				sealed = append(sealed, item)
			}
		default:
			inList = false
		}
	}
	return unauth, sealed
}

// The routes without a token, and those that answer while sealed, are
// exactly the documented ones.
func TestRouteTableMatchesDoc(t *testing.T) {
	var unauth, sealed []string
	for _, rt := range routes {
		switch rt.mode {
		case unauthenticated:
			unauth = append(unauth, rt.methods+" "+rt.pattern)
		case whileSealed:
			sealed = append(sealed, rt.methods+" "+rt.pattern)
		}
	}
	docUnauth, docSealed := documentedRoutes(t)
	for _, c := range []struct {
		what        string
		table, docs []string
	}{{"unauthenticated", unauth, docUnauth}, {"while-sealed", sealed, docSealed}} {
		slices.Sort(c.table)
		slices.Sort(c.docs)
		if !slices.Equal(c.table, c.docs) {
			t.Errorf("%s routes:\n table: %q\n doc:   %q", c.what, c.table, c.docs)
		}
	}
}

// Sealed, only the documented routes answer; every other one is 503.
func TestSealedAnswersOnlyDocumentedRoutes(t *testing.T) {
	s := newTestServer(t)
	if err := s.v.Seal(); err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		m := strings.Split(rt.methods, "|")[0]
		if m == "LIST" {
			m = "GET"
		}
		path := "/v1/" + samplePath(rt.pattern)
		if strings.HasPrefix(rt.methods, "LIST") {
			path += "?list=true"
		}
		st, _ := s.do(m, path, s.root, "{}")
		if (st == 503) == (rt.mode == whileSealed) && rt.pattern != "sys/health" {
			t.Errorf("sealed: %s %s = %d (mode %s)", m, path, st, rt.mode)
		}
	}
	for _, p := range []string{"/v1/nope/anything", "/v1/sys/nope", "/v1/sys/health/x"} {
		if st, _ := s.do("GET", p, s.root, ""); st != 503 {
			t.Errorf("sealed: GET %s = %d, want 503", p, st)
		}
	}
}

// FuzzFindRoute: paths come from clients. Matching never panics, and a
// row it answers with holds the parameter rules: {env} is never an API
// prefix, {path} names a secret, {prefix} is a folder, and putting the
// parameters back into the pattern gives the path.
func FuzzFindRoute(f *testing.F) {
	for _, rt := range routes {
		f.Add(strings.Split(rt.methods, "|")[0], samplePath(rt.pattern))
	}
	for _, p := range []string{"", "/", "sys", "sys/", "auth/jwt/role/", "dev/data/", "dev/metadata", "dev//x", "sys/ward/usage/dev/", "a/b/c/d/e/f"} {
		f.Add("GET", p)
	}
	f.Fuzz(func(t *testing.T, method, p string) {
		rt, params, err := findRoute(method, p)
		checkIndexedRoute(t, method, p, rt, params, err)
		if err != nil {
			return
		}
		if env, ok := params["env"]; ok && (env == "sys" || env == "auth" || env == "") {
			t.Fatalf("%s %q: env = %q", method, p, env)
		}
		if sp, ok := params["path"]; ok && (sp == "" || strings.HasSuffix(sp, "/")) {
			t.Fatalf("%s %q: path = %q", method, p, sp)
		}
		if pre, ok := params["prefix"]; ok && pre != "" && !strings.HasSuffix(pre, "/") {
			t.Fatalf("%s %q: prefix = %q", method, p, pre)
		}
		if _, ok := params["user"]; ok {
			return // normalised: it need not spell the path
		}
		back := rt.pattern
		for k, v := range params {
			back = strings.Replace(back, "{"+k+"...}", v, 1)
			back = strings.Replace(back, "{"+k+"}", v, 1)
		}
		if strings.TrimSuffix(back, "/") != strings.TrimSuffix(p, "/") && !strings.HasSuffix(rt.pattern, "{prefix...}") {
			t.Fatalf("%s %q matched %q with %v, which gives %q", method, p, rt.pattern, params, back)
		}
	})
}

// checkIndexedRoute fails t unless trying every row of the table finds
// what findRoute found through the index.
func checkIndexedRoute(t *testing.T, method, p string, rt *route, params map[string]string, err error) {
	t.Helper()
	table := routing().table
	all := make([]int, len(table))
	for i := range all {
		all[i] = i
	}
	wantRt, wantParams, wantErr := findRouteIn(table, method, p, all)
	if rt != wantRt || !maps.Equal(params, wantParams) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%s %q: indexed %v %v %v; every row %v %v %v", method, p, rt, params, err, wantRt, wantParams, wantErr)
	}
}

// The index finds, for every row's paths and every method, what trying
// every row finds: the same row, parameters, 404 or 405.
func TestRouteIndexAgreesWithTable(t *testing.T) {
	methods := []string{"GET", "LIST", "PUT", "POST", "PATCH", "DELETE", "HEAD"}
	paths := []string{"", "sys", "sys/", "auth", "auth/", "staging", "staging/", "staging/data", "staging/data/", "a/b/c/d/e/f", "sys/ward/usage/dev/", "dev//x", "data/x/y", "metadata/sys/x"}
	for _, rt := range routes {
		sp := samplePath(rt.pattern)
		paths = append(paths, sp, sp+"/", strings.TrimSuffix(sp, "/"), "sys/"+sp, "auth/"+sp)
		if _, rest, ok := strings.Cut(sp, "/"); ok {
			paths = append(paths, "other/"+rest, rest)
		}
	}
	for _, p := range paths {
		for _, m := range methods {
			rt, params, err := findRoute(m, p)
			checkIndexedRoute(t, m, p, rt, params, err)
		}
	}
}
