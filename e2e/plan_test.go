package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyDir copies the regular files of src into a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "ward")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gitCommit makes dir a git repository with one commit and returns its id,
// or "" when git is not installed.
func gitCommit(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return ""
	}
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=ward", "-c", "user.email=ward@example.com", "commit", "-q", "-m", "ward/"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// applyMeta returns the public context of the audit log's apply responses.
func applyMeta(t *testing.T, s *devServer) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(s.Data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e struct {
			Type   string            `json:"type"`
			Path   string            `json:"path"`
			Status int               `json:"status"`
			Meta   map[string]string `json:"meta"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Type == "response" && e.Path == "sys/ward/apply" && e.Status == 200 {
			out = append(out, e.Meta)
		}
	}
	return out
}

// TestPlanApply drives ward plan and ward apply over the example directory
// of a Go and a Rust service: plan, apply, plan again (no changes), an
// edit, a half-invalid directory that applies nothing, and --prune.
func TestPlanApply(t *testing.T) {
	s := startDev(t, "")
	dir := copyDir(t, "../examples/ward")
	commit := gitCommit(t, dir)

	out, errOut, code := s.ward(s.Token, "", "plan", "-f", dir, "--exit-code")
	if code != 3 {
		t.Fatalf("first plan: exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"+ policy ci-api   (policies/ci-api.yaml)",
		"+++ b/policies/ci-api.yaml",
		"ci-api: +read prod/payments/db",
		"ci-api: +deny prod/api/admin/**",
		"release: +read,update prod/payments/db (mfa)",
		"+ type stripe-key",
		"~ environment prod   (environments.yaml:7)",
		"+ required_metadata: expires_at|rotate_every",
		"+ secret prod/payments/db   (secrets/payments.yaml:13)",
		"+ rotate_every: 90d",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first plan lacks %q:\n%s", want, out)
		}
	}

	if _, errOut, code := s.ward(s.Token, "", "apply", "-f", dir); code != 1 || !strings.Contains(errOut, "add --yes") {
		t.Fatalf("apply without --yes and without a terminal: exit %d\n%s", code, errOut)
	}
	if out := s.mustWard("", "policy", "list"); strings.Contains(out, "ci-api") {
		t.Fatal("an apply that was not confirmed changed the server")
	}
	if _, errOut, code := s.ward(s.Token, "no\n", "apply", "-f", dir); code != 1 || !strings.Contains(errOut, "apply cancelled; nothing was changed") {
		t.Fatalf("apply answered no: exit %d\n%s", code, errOut)
	}
	out, errOut, code = s.ward(s.Token, "yes\n", "apply", "-f", dir)
	if code != 0 || !strings.Contains(out, "applied ") || !strings.Contains(errOut, "type yes:") {
		t.Fatalf("apply answered yes: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := s.ward(s.Token, "", "plan", "-f", dir, "--exit-code"); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("plan after apply: exit %d\n%s\n%s", code, out, errOut)
	}
	// The declared metadata is on the server, before any value is written.
	req, _ := http.NewRequest("GET", s.Addr+"/v1/prod/metadata/payments/db", nil)
	req.Header.Set("X-Vault-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Data struct {
			CustomMetadata map[string]string `json:"custom_metadata"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if cm := meta.Data.CustomMetadata; cm["owner"] != "team-payments" || cm["type"] != "postgres" || cm["recipients"] != "api,worker" || cm["rotate_every"] != "90d" {
		t.Errorf("prod/payments/db's metadata on the server: %v", cm)
	}
	// The types applied hold: the Go API's key must match its schema, and
	// the refusal names the field and the rule, never the value.
	const canary = "sk_live_CANARY!!"
	_, errOut, code = s.ward(s.Token, `{"secret_key":"`+canary+`","publishable_key":"pk_live_0123456789abcdef"}`, "kv", "put", "--env", "prod", "api/stripe")
	if code != 1 || !strings.Contains(errOut, "prod/api/stripe") || !strings.Contains(errOut, "secret_key") || strings.Contains(errOut, canary) {
		t.Fatalf("a value breaking stripe-key's pattern: exit %d\n%s", code, errOut)
	}
	s.mustWard(`{"secret_key":"sk_live_0123456789abcdef","publishable_key":"pk_live_0123456789abcdef"}`, "kv", "put", "--env", "prod", "api/stripe")
	// And the Rust worker's queue URL must carry credentials.
	_, errOut, code = s.ward(s.Token, `{"url":"amqps://queue.example.com/jobs"}`, "kv", "put", "--env", "prod", "worker/queue")
	if code != 1 || !strings.Contains(errOut, "prod/worker/queue") || !strings.Contains(errOut, "url") {
		t.Fatalf("a queue URL without credentials: exit %d\n%s", code, errOut)
	}
	s.mustWard(`{"url":"amqps://worker:pw@queue.example.com/jobs","prefetch":10}`, "kv", "put", "--env", "prod", "worker/queue")
	metas := applyMeta(t, s)
	if len(metas) != 1 || metas[0]["revision_content_sha256"] == "" || metas[0]["plan_digest"] == "" {
		t.Fatalf("apply's audit context: %v", metas)
	}
	if commit != "" && (metas[0]["revision_commit"] != commit || metas[0]["revision_dirty"] != "false") {
		t.Errorf("audit names revision %q dirty=%q, want %s clean", metas[0]["revision_commit"], metas[0]["revision_dirty"], commit)
	}

	// An edit: the worker may now read the API's secrets in prod.
	worker := filepath.Join(dir, "policies", "ci-worker.yaml")
	original, _ := os.ReadFile(worker)
	edited := string(original) + "  - path: prod/api/*\n    capabilities: [read]\n"
	writeFile(t, worker, edited)
	out, errOut, code = s.ward(s.Token, "", "plan", "-f", dir, "--exit-code")
	if code != 3 {
		t.Fatalf("plan after an edit: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"~ policy ci-worker", "@@ -4,3 +4,5 @@", "+  - path: prod/api/*", "ci-worker: +read prod/api/*"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan after an edit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "policy ci-api") {
		t.Errorf("plan lists an unchanged policy:\n%s", out)
	}
	var js struct {
		Changes []struct {
			Kind, Name, Action string
			Access             []struct{ Sign, Capability, Path string }
		}
		Digest string
	}
	out, _, _ = s.ward(s.Token, "", "plan", "-f", dir, "--format", "json")
	decodeJSON(t, out, &js)
	if len(js.Changes) != 1 || js.Changes[0].Name != "ci-worker" || len(js.Changes[0].Access) != 1 || js.Changes[0].Access[0].Path != "prod/api/*" || js.Digest == "" {
		t.Errorf("plan --format json: %+v", js)
	}

	// Half-invalid, found by the CLI: nothing reaches the server.
	bad := filepath.Join(dir, "policies", "broken.yaml")
	writeFile(t, bad, "rules:\n  - path: prod/x\n    capabilities: [raed]\n")
	for _, cmd := range [][]string{{"plan", "-f", dir}, {"apply", "-f", dir, "--yes"}} {
		_, errOut, code := s.ward(s.Token, "", cmd...)
		if code != 1 || !strings.Contains(errOut, filepath.Join(dir, "policies/broken.yaml")+`:3:20: unknown capability "raed"; did you mean "read"?`) {
			t.Fatalf("%s with a broken policy: exit %d\n%s", cmd[0], code, errOut)
		}
	}
	os.Remove(bad)
	// Half-invalid, found by the server (prod requires an owner): the
	// valid policy edit in the same directory is not applied either.
	payments := filepath.Join(dir, "secrets", "payments.yaml")
	pay, _ := os.ReadFile(payments)
	writeFile(t, payments, strings.Replace(string(pay), "prod:\n  payments/db:\n    type: postgres\n    owner: team-payments\n", "prod:\n  payments/db:\n    type: postgres\n", 1))
	_, errOut, code = s.ward(s.Token, "", "apply", "-f", dir, "--yes")
	if code != 1 || !strings.Contains(errOut, "secrets/payments.yaml:13: secret prod/payments/db lacks metadata environment prod requires: owner") {
		t.Fatalf("apply of a secret without its required owner: exit %d\n%s", code, errOut)
	}
	if got := s.mustWard("", "policy", "read", "ci-worker"); got != string(original) {
		t.Fatalf("a refused apply changed ci-worker:\n%s", got)
	}
	writeFile(t, payments, string(pay))
	s.mustWard("", "apply", "-f", dir, "--yes")
	if got := s.mustWard("", "policy", "read", "ci-worker"); got != edited {
		t.Fatalf("ci-worker after apply:\n%s", got)
	}
	if metas := applyMeta(t, s); commit != "" && metas[len(metas)-1]["revision_dirty"] != "true" {
		t.Errorf("an apply of uncommitted edits is recorded as clean: %v", metas[len(metas)-1])
	}

	// --prune: what the directory no longer declares goes, secrets never.
	stray := filepath.Join(t.TempDir(), "stray.yaml")
	writeFile(t, stray, "rules:\n  - path: dev/x\n    capabilities: [read]\n")
	s.mustWard("", "policy", "write", "stray", "-f", stray)
	s.mustWard("", "env", "create", "scratch")
	s.mustWard(`{"a":"b"}`, "kv", "put", "--env", "scratch", "tmp/x")
	s.mustWard("", "env", "create", "empty")
	if out, _, code := s.ward(s.Token, "", "plan", "-f", dir, "--exit-code"); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("without --prune, undeclared objects stay: exit %d\n%s", code, out)
	}
	out, errOut, code = s.ward(s.Token, "", "apply", "-f", dir, "--prune", "--yes")
	if code != 1 || !strings.Contains(errOut, `--prune would delete environment "scratch", which holds secrets`) {
		t.Fatalf("pruning an environment with secrets: exit %d\n%s\n%s", code, out, errOut)
	}
	if out := s.mustWard("", "policy", "list"); !strings.Contains(out, "stray") {
		t.Fatal("a refused prune deleted a policy")
	}
	s.mustWard("", "env", "delete", "scratch", "--yes")
	out = s.mustWard("", "apply", "-f", dir, "--prune", "--yes")
	for _, want := range []string{"- environment empty", "- policy stray", "applied 2 changes"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply --prune lacks %q:\n%s", want, out)
		}
	}
	if out := s.mustWard("", "policy", "list"); strings.Contains(out, "stray") {
		t.Error("stray survived --prune")
	}
	if out := s.mustWard("", "env", "list"); strings.Contains(out, "empty") {
		t.Error("environment empty survived --prune")
	}
	if out, _, code := s.ward(s.Token, "", "plan", "-f", dir, "--prune", "--exit-code"); code != 0 {
		t.Fatalf("plan --prune after apply --prune: exit %d\n%s", code, out)
	}
}

// TestPlanApplyPermissions: plan needs read on sys/ward/plan, apply update
// on sys/ward/apply.
func TestPlanApplyPermissions(t *testing.T) {
	s := startDev(t, "")
	dir := copyDir(t, "../examples/ward")
	pol := filepath.Join(t.TempDir(), "planner.yaml")
	writeFile(t, pol, "rules:\n  - path: sys/ward/plan\n    capabilities: [read]\n")
	s.mustWard("", "policy", "write", "planner", "-f", pol)
	out := s.mustWard("", "token", "create", "--env", "dev", "--policy", "planner", "--format", "json")
	var tok struct {
		ClientToken string `json:"client_token"`
	}
	decodeJSON(t, out, &tok)
	if out, errOut, code := s.ward(tok.ClientToken, "", "plan", "-f", dir, "--exit-code"); code != 3 {
		t.Fatalf("plan with read on sys/ward/plan: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := s.ward(tok.ClientToken, "", "apply", "-f", dir, "--yes"); code != 1 || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("apply without update on sys/ward/apply: exit %d\n%s", code, errOut)
	}
	if out := s.mustWard("", "policy", "list"); strings.Contains(out, "ci-api") {
		t.Fatal("a denied apply changed the server")
	}
}

// TestAccess explains and lists access against the server's policies and
// against a directory's.
func TestAccess(t *testing.T) {
	s := startDev(t, "")
	dir := copyDir(t, "../examples/ward")
	s.mustWard("", "apply", "-f", dir, "--yes")

	tests := []struct {
		args     []string
		code     int
		contains []string
	}{
		{[]string{"--policy", "ci-api", "--env", "prod", "--path", "payments/db", "--op", "read"}, 0,
			[]string{"allowed: read on prod/payments/db", "rule */payments/db [read] of policy ci-api, at sys/policies/acl/ci-api:3"}},
		{[]string{"--policy", "ci-api,release", "--env", "prod", "--path", "api/admin/key"}, 3,
			[]string{"denied: read on prod/api/admin/key", "[deny] of policy ci-api"}},
		{[]string{"--policy", "ci-worker", "--env", "prod", "--path", "api/stripe"}, 3,
			[]string{"no rule of policies [ci-worker] grants read on prod/api/stripe"}},
		{[]string{"-f", dir, "--policy", "release", "--env", "prod", "--path", "payments/db", "--op", "update"}, 0,
			[]string{"allowed with MFA: update on prod/payments/db", "at " + filepath.Join(dir, "policies/release.yaml") + ":7"}},
		{[]string{"--policy", "nope", "--env", "prod", "--path", "x"}, 1, []string{`the server has no policy "nope"`}},
		{[]string{"--policy", "ci-api", "--env", "prod", "--path", "x", "--op", "raed"}, 2, []string{`unknown operation "raed"; did you mean "read"?`}},
	}
	for _, tt := range tests {
		out, errOut, code := s.ward(s.Token, "", append([]string{"access", "explain"}, tt.args...)...)
		if code != tt.code {
			t.Errorf("access explain %v: exit %d, want %d\n%s%s", tt.args, code, tt.code, out, errOut)
		}
		for _, want := range tt.contains {
			if !strings.Contains(out+errOut, want) {
				t.Errorf("access explain %v lacks %q:\n%s%s", tt.args, want, out, errOut)
			}
		}
	}

	// The directory after an edit, before it is applied: what a pull
	// request would let the worker read.
	worker := filepath.Join(dir, "policies", "ci-worker.yaml")
	w, _ := os.ReadFile(worker)
	writeFile(t, worker, string(w)+"  - path: prod/api/*\n    capabilities: [read]\n")
	var rows []struct {
		Policy       string   `json:"policy"`
		Path         string   `json:"path"`
		Capabilities []string `json:"capabilities"`
		Source       struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"source"`
	}
	decodeJSON(t, s.mustWard("", "access", "list", "-f", dir, "--policy", "ci-worker", "--env", "prod", "--format", "json"), &rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.Path+" "+strings.Join(r.Capabilities, ","))
	}
	if want := "prod/api/* read|prod/payments/db read|prod/worker/* read,list"; strings.Join(got, "|") != want {
		t.Errorf("access list -f: %q, want %q", strings.Join(got, "|"), want)
	}
	out := s.mustWard("", "access", "list", "--policy", "ci-worker", "--env", "prod")
	if strings.Contains(out, "prod/api/*") || !strings.Contains(out, "prod/worker/*") || !strings.Contains(out, "read,list") {
		t.Errorf("access list against the server:\n%s", out)
	}
}
