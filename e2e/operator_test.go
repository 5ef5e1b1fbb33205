package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// A real server: init prints the shares and the root token once; any
// threshold of the shares unseal it; seal zeroizes; rotate adds a term.
func TestOperatorInitUnsealRotate(t *testing.T) {
	s := startWard(t, "server", "")
	if !strings.Contains(s.Logs(), "not initialised") {
		t.Fatalf("banner: %s", s.Logs())
	}
	if status, _ := call(t, s, "GET", "/v1/sys/health", "", ""); status != 501 {
		t.Fatalf("health before init = %d, want 501", status)
	}
	out := s.mustWard("", "operator", "init", "--format", "json")
	var res struct {
		Keys      []string `json:"keys"`
		RootToken string   `json:"root_token"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Keys) != 5 || res.RootToken == "" {
		t.Fatalf("init: %v %s", err, out)
	}
	if _, errOut, code := s.ward("", "", "operator", "init"); code != 1 || !strings.Contains(errOut, "already initialized") {
		t.Fatalf("second init: exit %d %s", code, errOut)
	}
	unseal := func(key string) string {
		out, errOut, code := s.ward("", key+"\n", "operator", "unseal")
		if code != 0 {
			t.Fatalf("unseal: exit %d %s", code, errOut)
		}
		return out
	}
	if out := unseal(res.Keys[4]); !strings.Contains(out, "progress 1 of 3") {
		t.Fatalf("first share: %s", out)
	}
	unseal(res.Keys[1])
	if out := unseal(res.Keys[2]); !strings.Contains(out, "unsealed") {
		t.Fatalf("third share: %s", out)
	}
	root := res.RootToken
	out, errOut, code := s.ward(root, "", "env", "create", "prod")
	if code != 0 {
		t.Fatalf("env create: %d %s", code, errOut)
	}
	if _, errOut, code := s.ward(root, `{"k":"before-rotate"}`, "kv", "put", "--env", "prod", "app/cfg"); code != 0 {
		t.Fatalf("put: %s", errOut)
	}
	out, errOut, code = s.ward(root, "", "operator", "rotate")
	if code != 0 || !strings.Contains(out, "term 2") {
		t.Fatalf("rotate: exit %d %s %s", code, out, errOut)
	}
	if out, _, _ := s.ward(root, "", "kv", "get", "--env", "prod", "--field", "k", "app/cfg"); out != "before-rotate\n" {
		t.Fatalf("data written before the rotation: %q", out)
	}
	if _, errOut, code := s.ward(root, "", "operator", "seal"); code != 0 {
		t.Fatalf("seal: %s", errOut)
	}
	if _, errOut, code := s.ward(root, "", "kv", "get", "--env", "prod", "app/cfg"); code != 1 || !strings.Contains(errOut, "sealed") {
		t.Fatalf("get while sealed: exit %d %s", code, errOut)
	}
	// Shares from two different inits never combine; here, a share given
	// twice does not count twice.
	unseal(res.Keys[0])
	if out := unseal(res.Keys[0]); !strings.Contains(out, "progress 1 of 3") {
		t.Fatalf("a repeated share counted: %s", out)
	}
	unseal(res.Keys[3])
	unseal(res.Keys[1])
	if out, _, _ := s.ward(root, "", "kv", "get", "--env", "prod", "--field", "k", "app/cfg"); out != "before-rotate\n" {
		t.Fatalf("after re-unseal: %q", out)
	}
}
