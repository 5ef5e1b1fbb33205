package server

import (
	"strings"
	"testing"
)

// A fetch that names types has each secret checked against its type, and
// the answer names fields and rules, never a value.
func TestFetchChecksTypes(t *testing.T) {
	s := newTestServer(t)
	const canary = "CANARY short"
	s.do("POST", "/v1/prod/data/payments/db", s.root, `{"data":`+pgOK+`}`)
	s.do("POST", "/v1/prod/data/stripe", s.root, `{"data":{"token":"`+canary+`","extra":"`+canary+`"}}`)
	st, body := s.do("POST", "/v1/sys/ward/fetch/prod", s.root,
		`{"paths":["payments/db","stripe","missing"],"types":{"payments/db":"postgres","stripe":"api-token","missing":"postgres"}}`)
	if st != 200 {
		t.Fatalf("fetch: %d %v", st, body)
	}
	got := map[string][]string{}
	for _, r := range body["data"].(map[string]any)["secrets"].([]any) {
		r := r.(map[string]any)
		var problems []string
		if ps, ok := r["type_problems"].([]any); ok {
			for _, p := range ps {
				p := p.(map[string]any)
				problems = append(problems, p["field"].(string)+": "+p["message"].(string))
			}
		}
		got[r["path"].(string)] = problems
	}
	if len(got["payments/db"]) != 0 || len(got["missing"]) != 0 {
		t.Errorf("conforming or missing secrets have problems: %v", got)
	}
	stripe := strings.Join(got["stripe"], "\n")
	for _, want := range []string{"token: ", "extra: "} {
		if !strings.Contains(stripe, want) {
			t.Errorf("stripe's problems %q lack %q", stripe, want)
		}
	}
	if strings.Contains(stripe, "CANARY") {
		t.Errorf("a problem quotes the value: %q", stripe)
	}

	// An unknown type is a problem of the secret, not a failed request.
	st, body = s.do("POST", "/v1/sys/ward/fetch/prod", s.root, `{"paths":["payments/db"],"types":{"payments/db":"postgress"}}`)
	if st != 200 || !strings.Contains(mustJSON(body), `type \"postgress\" is not registered`) {
		t.Errorf("unknown type: %d %v", st, body)
	}
}
