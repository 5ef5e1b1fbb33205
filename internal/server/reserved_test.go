package server

import (
	"strings"
	"testing"
)

// A created token cannot carry what ward's logins write, so its audit
// entries cannot look like a CI login's or an MFA-verified request's
// (issue: forged pipeline attribution).
func TestTokenCreateRefusesLoginMetadata(t *testing.T) {
	s := newTestServer(t)
	tok := s.token("staging", "rules:\n  - path: auth/token/create\n    capabilities: [create]\n")
	for _, body := range []string{
		`{"meta":{"ci_repository":"org/app","ci_ref":"refs/heads/main"}}`,
		`{"meta":{"role":"ci-prod"}}`,
		`{"meta":{"mfa":"verified"}}`,
		`{"meta":{"ward_identity":"userpass/alice"}}`,
		`{"display_name":"jwt-repo:org/app:ref:refs/heads/main"}`,
		`{"display_name":"userpass-alice"}`,
	} {
		for _, who := range []string{s.root, tok} {
			b := body
			if who == s.root {
				b = strings.Replace(body, "{", `{"env":"staging","policies":["pstaging"],`, 1)
			}
			if st, out := s.do("POST", "/v1/auth/token/create", who, b); st != 400 {
				t.Errorf("create %s: %d %v, want 400", b, st, out)
			}
		}
	}
}
