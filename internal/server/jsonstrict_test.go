package server

import (
	"strings"
	"testing"
)

// TestAmbiguousBodiesRefused: bodies that encoding/json would read one way
// while the audit log records another are a 400 with the offset, naming no
// value, and change nothing.
func TestAmbiguousBodiesRefused(t *testing.T) {
	s := newTestServer(t)
	const canary = "canary-7f3a"
	for _, tc := range []struct{ name, path, body string }{
		{"data and Data", "/v1/staging/data/app/a", `{"data":{"k":"` + canary + `"},"Data":{"k":"other"}}`},
		{"options and OPTIONS", "/v1/staging/data/app/b", `{"options":{"cas":0},"OPTIONS":{"cas":5},"data":{"k":"` + canary + `"}}`},
		{"NUL in a key", "/v1/staging/data/app/c", `{"data":{"pass\u0000word":"` + canary + `"}}`},
		{"lone surrogate", "/v1/staging/data/app/d", `{"data":{"k":"` + canary + `\ud800"}}`},
		{"case twins inside data", "/v1/staging/data/app/e", `{"data":{"token":"` + canary + `","TOKEN":"x"}}`},
		{"policy write", "/v1/sys/policies/acl/p1", `{"policy":"rules: []\n","POLICY":"` + canary + `"}`},
		{"token create", "/v1/auth/token/create", `{"policies":["default"],"Policies":["root"],"display_name":"` + canary + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "PUT"
			if strings.Contains(tc.path, "token/create") {
				method = "POST"
			}
			st, body := s.do(method, tc.path, s.root, tc.body)
			msg := mustJSON(body)
			if st != 400 || !strings.Contains(msg, "offset") || strings.Contains(msg, canary) {
				t.Fatalf("%d %s; want a 400 with the offset and no value", st, msg)
			}
			if strings.Contains(tc.path, "/data/") {
				if st, _ := s.do("GET", tc.path, s.root, ""); st != 404 {
					t.Errorf("refused write stored anyway: GET %d", st)
				}
			}
		})
	}
}
