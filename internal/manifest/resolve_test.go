package manifest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func mustComponent(t *testing.T, src, name string) *Component {
	t.Helper()
	m, err := Parse("ward.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Component(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ok(data string, custom ...string) Fetched {
	f := Fetched{Status: StatusOK, Data: json.RawMessage(data)}
	if len(custom) == 2 {
		f.CustomMetadata = map[string]string{custom[0]: custom[1]}
	}
	return f
}

// Values: each JSON type of a field, and the whole object.
func TestResolveValues(t *testing.T) {
	c := mustComponent(t, `version: 1
components:
  api:
    language: go
    env:
      S: {from: a, field: s}
      N: {from: a, field: n}
      B: {from: a, field: b}
      O: {from: a, field: o}
      L: {from: a, field: l}
      W: {from: a}
      U: {from: a, field: u}
    files:
      f/o.json: {from: a, field: o, mode: "0400"}
      f/nul: {from: a, field: nul}
`, "api")
	data := `{"s": "p\u00e4ss \"q\"", "n": 12345678901234567890.50, "b": true, "o": {"k": [1, 2]}, "l": [ "x" ], "u": "\u263a", "nul": "a\u0000b"}`
	r := c.Resolve(map[string]Fetched{"a": ok(data)}, now)
	if len(r.Issues) != 0 {
		t.Fatalf("issues: %+v", r.Issues)
	}
	got := map[string]string{}
	for _, e := range r.Env {
		got[e.Name] = string(e.Value)
	}
	want := map[string]string{
		"S": `päss "q"`, "N": "12345678901234567890.50", "B": "true", "O": `{"k":[1,2]}`, "L": `["x"]`, "U": "☺",
		"W": `{"s":"p\u00e4ss \"q\"","n":12345678901234567890.50,"b":true,"o":{"k":[1,2]},"l":["x"],"u":"\u263a","nul":"a\u0000b"}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("env:\n got %q\nwant %q", got, want)
	}
	wantFiles := []FileValue{{Path: "f/nul", Mode: 0o600, Value: []byte("a\x00b")}, {Path: "f/o.json", Mode: 0o400, Value: []byte(`{"k":[1,2]}`)}}
	if !reflect.DeepEqual(r.Files, wantFiles) {
		t.Errorf("files: %+v", r.Files)
	}
	r.Wipe()
	for _, e := range r.Env {
		if strings.Trim(string(e.Value), "\x00") != "" {
			t.Errorf("%s not wiped", e.Name)
		}
	}
}

const issuesManifest = `version: 1
components:
  api:
    language: go
    env:
      A: {from: missing}
      B: {from: gone, field: x}
      C: {from: secret/admin, field: x}
      D: {from: db, field: password}
      E: {from: db, field: empty}
      F: {from: old, field: x}
      G: {from: opt, field: x, optional: true}
      H: {from: db, field: user, optional: true}
      I: {from: broken, field: x}
      J: {from: db, field: nul}
      K: {from: weird, field: x}
      L: {from: bad-expiry, field: x}
      M: {from: fine, field: x}
      N: {from: gone, optional: true}
      O: {from: later, field: x}
    files:
      f.pem: {from: db, field: nul}
`

// Every kind of issue, each once, with its severity.
func TestResolveIssues(t *testing.T) {
	c := mustComponent(t, issuesManifest, "api")
	fetched := map[string]Fetched{
		"gone":         {Status: StatusDeleted},
		"secret/admin": {Status: StatusDenied},
		"db":           ok(`{"empty": null, "nul": "x\u0000y", "secretvalue": "hunter2"}`),
		"old":          ok(`{"x": "hunter2"}`, "expires_at", "2026-11-25T11:59:59Z"),
		"opt":          {Status: StatusNotFound},
		"broken":       {Status: StatusError, Error: "invalid secret path"},
		"weird":        ok(`["hunter2"]`),
		"bad-expiry":   ok(`{"x": "hunter2"}`, "expires_at", "next tuesday"),
		"fine":         ok(`{"x": "hunter2"}`),
		"later":        ok(`{"x": "hunter2"}`, "expires_at", "2026-11-25T12:00:01+00:00"),
	}
	r := c.Resolve(fetched, now)
	var got []string
	for _, i := range r.Issues {
		got = append(got, fmt.Sprintf("%d %s %s %s %s %s", i.Line, i.Severity(), i.Kind, i.Secret, i.Field, i.Var))
	}
	want := []string{
		"6 error not_fetched missing  A",
		"7 error deleted gone  B, N",
		"8 error denied secret/admin  C",
		"9 error field_missing db password D",
		"10 error field_null db empty E",
		"11 error expired old  F",
		"12 warning not_found opt  G",
		"13 warning field_missing db user H",
		"14 error fetch_error broken  I",
		"15 error not_usable db nul J",
		"16 error not_object weird  K",
		"17 error bad_expiry bad-expiry  L",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !r.Failed() {
		t.Error("Failed() = false with required secrets missing")
	}
	if !reflect.DeepEqual(r.Missing, []string{"G", "H", "N"}) {
		t.Errorf("missing: %v", r.Missing)
	}
	var set []string
	for _, e := range r.Env {
		set = append(set, e.Name)
	}
	// An expired secret or one with a bad expiry is still resolved.
	if !reflect.DeepEqual(set, []string{"F", "L", "M", "O"}) {
		t.Errorf("env set: %v", set)
	}
	if len(r.Files) != 1 || string(r.Files[0].Value) != "x\x00y" {
		t.Errorf("a file may hold a NUL byte: %+v", r.Files)
	}
	for _, i := range r.Issues {
		if s := fmt.Sprintf("%+v %s", i, i.Problem()); strings.Contains(s, "hunter2") || strings.Contains(s, "x\x00y") {
			t.Errorf("an issue holds a value: %s", s)
		}
	}
	if want := "expired at 2026-11-25T11:59:59Z (its expires_at metadata) (needed by F)"; r.Issues[5].Problem() != want {
		t.Errorf("expired: %q", r.Issues[5].Problem())
	}
	if want := "no secret at this path (needed by G, optional: left unset)"; r.Issues[6].Problem() != want {
		t.Errorf("optional: %q", r.Issues[6].Problem())
	}
}

// Warnings alone do not fail; the zero time means now.
func TestResolveOptionalOnly(t *testing.T) {
	c := mustComponent(t, "version: 1\ncomponents:\n  w:\n    language: rust\n    env:\n      A: {from: a, optional: true}\n      B: {from: b, field: x}\n", "")
	r := c.Resolve(map[string]Fetched{"b": ok(`{"x": 1}`, "expires_at", "2999-01-01T00:00:00Z")}, time.Time{})
	if r.Failed() || len(r.Issues) != 1 || r.Issues[0].Severity() != "warning" {
		t.Errorf("%+v", r)
	}
	r = c.Resolve(map[string]Fetched{"b": ok(`{"x": 1}`, "expires_at", "2000-01-01T00:00:00Z")}, time.Time{})
	if !r.Failed() {
		t.Errorf("expired in 2000 is not expired now: %+v", r.Issues)
	}
}

// Types: the secret's own type must be the manifest's, and the server's
// judgement of its value is reported rule by rule; untyped entries and
// conforming secrets have no issue.
func TestResolveTypes(t *testing.T) {
	c := mustComponent(t, `version: 1
components:
  api:
    language: go
    env:
      DB: {from: db, field: password, type: postgres}
      KEY: {from: key, field: token, type: api-token}
      BAD: {from: bad, field: token, type: api-token}
      PLAIN: {from: plain, field: v}
`, "api")
	bad := ok(`{"token": "x"}`)
	bad.TypeProblems = []TypeProblem{{Field: "token", Message: "must be at least 16 characters long"}, {Message: `missing field "header"`}}
	r := c.Resolve(map[string]Fetched{
		"db":    ok(`{"password": "p"}`, "type", "postgres"),
		"key":   ok(`{"token": "t"}`, "type", "password"),
		"bad":   bad,
		"plain": ok(`{"v": "1"}`, "type", "password"),
	}, now)
	var got []string
	for _, is := range r.Issues {
		got = append(got, fmt.Sprintf("%s %s %s", is.Secret, is.Kind, is.Problem()))
	}
	want := []string{
		`key type_mismatch is of type password, but the manifest names type api-token (needed by KEY)`,
		`bad type_invalid does not conform to type api-token: field "token": must be at least 16 characters long (needed by BAD)`,
		`bad type_invalid does not conform to type api-token: missing field "header" (needed by BAD)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !r.Failed() || len(r.Env) != 4 {
		t.Errorf("failed %v, %d env values; a type issue fails the run but the values still resolve", r.Failed(), len(r.Env))
	}
}
