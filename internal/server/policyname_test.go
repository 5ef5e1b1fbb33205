package server

import (
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/plan"
)

// TestPolicyNamesAreCanonicalEverywhere sends every policy name that is not
// canonical through every door a policy name comes in by, as root (who may
// grant anything): each is a 400 and nothing is created.
func TestPolicyNamesAreCanonicalEverywhere(t *testing.T) {
	s := newTestServer(t)
	if st, body := s.do("PUT", "/v1/sys/policies/acl/ci", s.root, mustJSON(map[string]any{"policy": "rules:\n  - path: staging/*\n    capabilities: [read]\n"})); st != 204 {
		t.Fatalf("policy write: %d %v", st, body)
	}
	for _, name := range []string{"Root", "ROOT", "Ci", " ci", "ci ", "c i", "ci\x00", "ci\n", "ci\t", "\u00e9", ""} {
		doors := []struct {
			what, method, path, body string
			created                  string // a GET that must find nothing afterwards, if any
		}{
			{"token create", "POST", "/v1/auth/token/create", mustJSON(map[string]any{"env": "staging", "policies": []string{"ci", name}, "ttl": "1h"}), ""},
			{"policy write", "PUT", "/v1/sys/policies/acl/" + urlName(name), mustJSON(map[string]any{"policy": "rules: []\n"}), ""},
			{"jwt role", "POST", "/v1/auth/jwt/role/deploy", mustJSON(map[string]any{
				"bound_audiences": []string{"ward"}, "user_claim": "sub", "environment": "staging", "token_policies": []string{"ci", name},
			}), "/v1/auth/jwt/role/deploy"},
			{"user", "POST", "/v1/auth/userpass/users/alice", mustJSON(map[string]any{"password": "correct horse battery", "token_policies": []string{"ci", name}}), "/v1/auth/userpass/users/alice"},
			{"apply", "POST", "/v1/sys/ward/apply", applyBody(t, &plan.State{
				Manages:  plan.Manages{Policies: true},
				Policies: []plan.Policy{{Name: name, Text: "rules: []\n", Source: plan.Source{File: "policies/x.yaml"}}},
			}, nil), ""},
		}
		for _, d := range doors {
			if d.what == "policy write" && (name == "" || strings.ContainsAny(name, " \x00\n\t")) {
				continue // not a path: refused before any policy name is read
			}
			st, body := s.do(d.method, d.path, s.root, d.body)
			if st != 400 {
				t.Errorf("%s with policy %q: %d %v, want 400", d.what, name, st, body)
			}
			if d.created != "" {
				if st, _ := s.do("GET", d.created, s.root, ""); st != 404 {
					t.Errorf("%s with policy %q: created anyway (GET %d)", d.what, name, st)
				}
			}
		}
	}
}

// urlName escapes a name for a URL path segment.
func urlName(name string) string {
	r := strings.NewReplacer(" ", "%20", "\u00e9", "%C3%A9")
	return r.Replace(name)
}
