package server

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/plan"
)

func applyBody(t *testing.T, st *plan.State, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"state": st}
	for k, v := range extra {
		body[k] = v
	}
	return mustJSON(body)
}

// TestPlanApplyAPI runs sys/ward/plan and sys/ward/apply over HTTP: the
// answers, the problems as 400s at file:line, a stale plan as a 409, the
// permissions, and the revision in the audit log's public context.
func TestPlanApplyAPI(t *testing.T) {
	s := newTestServer(t)
	st := &plan.State{
		Manages:  plan.Manages{Policies: true},
		Policies: []plan.Policy{{Name: "ci-api", Text: "rules:\n  - path: prod/payments/*\n    capabilities: [read]\n", Source: plan.Source{File: "policies/ci-api.yaml"}}},
	}
	code, body := s.do("POST", "/v1/sys/ward/plan", s.root, applyBody(t, st, nil))
	if code != 200 {
		t.Fatalf("plan: %d %v", code, body)
	}
	data := body["data"].(map[string]any)
	changes := data["changes"].([]any)
	if len(changes) != 1 || changes[0].(map[string]any)["name"] != "ci-api" {
		t.Fatalf("plan's changes: %v", changes)
	}
	digest := data["digest"].(string)

	bad := *st
	bad.Policies = []plan.Policy{{Name: "ci-api", Text: "rules: [\n", Source: plan.Source{File: "policies/ci-api.yaml"}}}
	code, body = s.do("POST", "/v1/sys/ward/apply", s.root, applyBody(t, &bad, nil))
	if code != 400 || !strings.HasPrefix(body["errors"].([]any)[0].(string), "policies/ci-api.yaml:") {
		t.Fatalf("apply of a bad policy: %d %v", code, body)
	}
	if code, body := s.do("POST", "/v1/sys/ward/apply", s.root, applyBody(t, st, map[string]any{"expect": strings.Repeat("0", 64)})); code != 409 {
		t.Fatalf("apply of a stale plan: %d %v", code, body)
	}
	if code, body := s.do("POST", "/v1/sys/ward/apply", s.root, applyBody(t, st, map[string]any{"revision": map[string]any{"commit": "not hex; $(rm -rf)"}})); code != 400 {
		t.Fatalf("apply with a bad revision: %d %v", code, body)
	}
	planner := s.token("dev", "rules:\n  - path: sys/ward/plan\n    capabilities: [read]\n")
	if code, _ := s.do("POST", "/v1/sys/ward/plan", planner, applyBody(t, st, nil)); code != 200 {
		t.Fatalf("plan with read on sys/ward/plan: %d", code)
	}
	if code, _ := s.do("POST", "/v1/sys/ward/apply", planner, applyBody(t, st, nil)); code != 403 {
		t.Fatalf("apply without update on sys/ward/apply: %d", code)
	}
	if _, err := s.v.Policy("ci-api"); err == nil {
		t.Fatal("a refused apply stored the policy")
	}

	const commit = "0123456789abcdef0123456789abcdef01234567"
	code, body = s.do("POST", "/v1/sys/ward/apply", s.root, applyBody(t, st, map[string]any{
		"expect": digest, "revision": map[string]any{"commit": commit, "dirty": true}}))
	if code != 200 || body["data"].(map[string]any)["applied"] != true {
		t.Fatalf("apply: %d %v", code, body)
	}
	if _, err := s.v.Policy("ci-api"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e struct {
			Type, Path string
			Status     int
			Meta       map[string]string
		}
		json.Unmarshal([]byte(line), &e)
		if e.Path != "sys/ward/apply" || e.Status != 200 {
			continue
		}
		found = true
		if e.Type != "response" || e.Meta["revision_commit"] != commit || e.Meta["revision_dirty"] != "true" || e.Meta["plan_digest"] != digest || e.Meta["changes"] != "1" {
			t.Errorf("the apply's audit entry: %+v", e)
		}
	}
	if !found {
		t.Fatal("no audit entry for the apply")
	}
}
