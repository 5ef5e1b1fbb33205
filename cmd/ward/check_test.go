package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeFetch serves sys/ward/fetch/ENV from canned results by path; a path
// without one is not_found. It records the batches it was asked for.
type fakeFetch struct {
	results map[string]map[string]any
	mu      sync.Mutex
	batches [][]string
	types   map[string]string // the types the last request asked be checked
}

func (f *fakeFetch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/sys/ward/fetch/") {
		http.Error(w, `{"errors":["no such route"]}`, http.StatusNotFound)
		return
	}
	var body struct {
		Paths []string
		Types map[string]string
	}
	json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.batches = append(f.batches, body.Paths)
	f.types = body.Types
	f.mu.Unlock()
	out := []map[string]any{}
	for _, p := range body.Paths {
		res, ok := f.results[p]
		if !ok {
			res = map[string]any{"status": "not_found", "error": "no secret at this path"}
		}
		res["path"] = p
		out = append(out, res)
	}
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"secrets": out}})
}

// The values below hold "hunter2" so that a leak shows.
func checkFixture() *fakeFetch {
	return &fakeFetch{results: map[string]map[string]any{
		"payments/db": {"status": "ok", "data": map[string]any{"url": "postgres://u:hunter2@db/x", "port": 5432, "note": nil},
			"custom_metadata": map[string]string{"type": "postgres"},
			"type_problems": []map[string]string{
				{"field": "", "rule": "required", "message": `missing field "host"`},
				{"field": "note", "rule": "additionalProperties", "message": "is not a field of this type"},
			}},
		"payments/stripe": {"status": "ok", "data": map[string]any{"secret_key": "sk_hunter2"}, "custom_metadata": map[string]string{"type": "api-token"}},
		"admin/root":      {"status": "denied", "error": "permission denied: read on staging/admin/root"},
		"legacy/key":      {"status": "ok", "data": map[string]any{"key": "hunter2"}, "custom_metadata": map[string]string{"expires_at": "2026-01-01T00:00:00Z"}},
		"legacy/gone":     {"status": "deleted", "error": "the current version is deleted or destroyed"},
		"payments/tls":    {"status": "ok", "data": map[string]any{"cert": "hunter2-cert", "bin": "a\x00hunter2"}},
	}}
}

func runCheckTest(t *testing.T, addr string, o *checkOpts) (stdout, stderr string, code int) {
	t.Helper()
	if o.file == "" {
		o.file = "testdata/check/ward.yaml"
	}
	if o.format == "" {
		o.format = "text"
	}
	var out, errb bytes.Buffer
	g := testGlobals(nil, &out, &errb, "WARD_ADDR="+addr, "WARD_TOKEN=test-token")
	code = exitCode(runCheck(context.Background(), g, o), &errb)
	s := out.String() + errb.String()
	if strings.Contains(s, "hunter2") || strings.Contains(s, "5432") {
		t.Errorf("a value was printed:\n%s", s)
	}
	return out.String(), errb.String(), code
}

// Every failure kind at once, in text and in JSON, against golden files.
func TestCheckGolden(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	for _, f := range []format{formatText, formatJSON} {
		t.Run(string(f), func(t *testing.T) {
			out, errOut, code := runCheckTest(t, srv.URL, &checkOpts{env: "staging", component: "api", format: f})
			got := fmt.Sprintf("exit %d\n-- stdout --\n%s-- stderr --\n%s", code, out, errOut)
			compareGolden(t, "testdata/check/api-"+string(f)+".golden", got, *updateManifest)
		})
	}
}

func TestCheckJSONShape(t *testing.T) {
	t.Parallel()
	f := checkFixture()
	srv := httptest.NewServer(f)
	defer srv.Close()
	out, _, code := runCheckTest(t, srv.URL, &checkOpts{env: "staging", component: "api", format: "json"})
	// The manifest's types go to the server, which checks the values.
	if want := map[string]string{"payments/db": "postgres", "payments/stripe": "stripe-key"}; fmt.Sprint(f.types) != fmt.Sprint(want) {
		t.Errorf("types sent %v, want %v", f.types, want)
	}
	var rep struct {
		Env, Component string
		OK             bool
		Checked        int
		Problems       []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 1 || rep.OK || rep.Env != "staging" || rep.Component != "api" || rep.Checked != 8 || len(rep.Problems) != 11 {
		t.Errorf("exit %d, report %+v", code, rep)
	}
	for _, p := range rep.Problems {
		for _, k := range []string{"secret", "field", "var", "severity", "problem", "hint"} {
			if _, ok := p[k]; !ok {
				t.Errorf("problem without %q: %v", k, p)
			}
		}
	}
}

func TestCheckPasses(t *testing.T) {
	t.Parallel()
	f := checkFixture()
	f.results["payments/db"]["data"] = map[string]any{"password": "hunter2"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	// The only secret of worker is fine: exit 0, no note since no type: is set.
	out, errOut, code := runCheckTest(t, srv.URL, &checkOpts{env: "staging", component: "worker"})
	if code != 0 || out != "1 secret checked for component worker in staging: 0 failed, 0 warnings\n" || errOut != "" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	// Optional problems only: warnings, exit 0.
	file := writeManifest(t, "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      DSN: {from: shared/sentry, field: dsn, optional: true}\n      PW: {from: payments/db, field: password}\n")
	out, _, code = runCheckTest(t, srv.URL, &checkOpts{env: "staging", file: file})
	if code != 0 || !strings.Contains(out, "optional: left unset") || !strings.HasSuffix(out, "2 secrets checked for component api in staging: 0 failed, 1 warning\n") {
		t.Errorf("warnings only: exit %d\n%s", code, out)
	}
}

// More secrets than one fetch may carry go in several batches.
func TestCheckBatches(t *testing.T) {
	t.Parallel()
	f := &fakeFetch{results: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	var b strings.Builder
	b.WriteString("version: 1\ncomponents:\n  big:\n    language: go\n    env:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "      V%d: {from: s/%03d, field: x}\n", i, i)
		f.results[fmt.Sprintf("s/%03d", i)] = map[string]any{"status": "ok", "data": map[string]any{"x": "y"}}
	}
	file := writeManifest(t, b.String())
	out, _, code := runCheckTest(t, srv.URL, &checkOpts{env: "staging", file: file})
	if code != 0 || len(f.batches) != 2 || len(f.batches[0]) != 256 || len(f.batches[1]) != 44 {
		t.Errorf("exit %d, batches of %d, output %s", code, len(f.batches), out)
	}
}

func TestCheckUsageAndServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(checkFixture())
	defer srv.Close()
	bad := writeManifest(t, "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      path: {from: x}\n")
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tests := []struct {
		name string
		addr string
		o    checkOpts
		code int
		want string
	}{
		{"several components", srv.URL, checkOpts{env: "staging"}, 2, "ward: the manifest has 2 components (api, worker): name one\nhint: name one with --component api (known: api, worker)\n"},
		{"unknown component", srv.URL, checkOpts{env: "staging", component: "web"}, 2, `no component "web" in the manifest; it has: api, worker`},
		{"no manifest", srv.URL, checkOpts{env: "staging", file: t.TempDir() + "/ward.yaml"}, 2, "no manifest at"},
		{"bad manifest", srv.URL, checkOpts{env: "staging", file: bad}, 2, "ward.yaml:6:7: env var name \"path\" must start with A-Z or _\nhint: fix"},
		{"server down", downURL, checkOpts{env: "staging", component: "worker"}, 1, "hint: is a ward server running there?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCheckTest(t, tt.addr, &tt.o)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to hold:\n%s", code, tt.code, errOut, tt.want)
			}
		})
	}
	// Flags: --env is required, --format is text or json.
	for _, args := range [][]string{{"check"}, {"check", "--env", "staging", "--format", "yaml"}} {
		var out, errb bytes.Buffer
		if code := runCLI(args, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("ward %v: exit %d\n%s", args, code, errb.String())
		}
	}
}

// writeManifest writes a ward.yaml in a new temporary directory.
func writeManifest(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ward.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
