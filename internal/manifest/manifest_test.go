package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// example is the manifest of DESIGN.md.
const example = `# ward.yaml
version: 1
components:
  api:                                   # a Go service
    language: go
    env:
      DATABASE_URL: {from: payments/db, field: url, type: postgres}
      STRIPE_KEY:   {from: payments/stripe, field: secret_key}
      SENTRY_DSN:   {from: shared/sentry, field: dsn, optional: true}
  indexer:                               # a Rust worker
    language: rust
    env:
      DB_PASSWORD:  {from: payments/db, field: password}
      PAYMENTS_DB:  {from: payments/db}
    files:
      tls/client.pem: {from: payments/tls, field: cert}
      tls/ca.pem:
        from: payments/tls
        field: ca
        mode: "0400"
        optional: true
`

func TestParseExample(t *testing.T) {
	m, err := Parse("ward.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{Version: 1, Components: map[string]*Component{
		"api": {Name: "api", Language: "go", Env: []EnvVar{
			{Name: "DATABASE_URL", From: "payments/db", Field: "url", Type: "postgres", Line: 7},
			{Name: "SENTRY_DSN", From: "shared/sentry", Field: "dsn", Optional: true, Line: 9},
			{Name: "STRIPE_KEY", From: "payments/stripe", Field: "secret_key", Line: 8},
		}},
		"indexer": {Name: "indexer", Language: "rust", Env: []EnvVar{
			{Name: "DB_PASSWORD", From: "payments/db", Field: "password", Line: 13},
			{Name: "PAYMENTS_DB", From: "payments/db", Line: 14},
		}, Files: []File{
			{Path: "tls/ca.pem", From: "payments/tls", Field: "ca", Mode: 0o400, Optional: true, Line: 17},
			{Path: "tls/client.pem", From: "payments/tls", Field: "cert", Mode: 0o600, Line: 16},
		}},
	}}
	if !reflect.DeepEqual(m, want) {
		for n, c := range m.Components {
			t.Logf("%s: %+v", n, *c)
		}
		t.Fatal("parsed manifest differs")
	}
	api, _ := m.Component("api")
	if got := api.Secrets(); !reflect.DeepEqual(got, []string{"payments/db", "payments/stripe", "shared/sentry"}) {
		t.Errorf("api secrets: %v", got)
	}
	idx, _ := m.Component("indexer")
	if got := idx.Secrets(); !reflect.DeepEqual(got, []string{"payments/db", "payments/tls"}) {
		t.Errorf("indexer secrets: %v", got)
	}
}

func TestComponent(t *testing.T) {
	m, err := Parse("ward.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Component("")
	var ce *ComponentError
	if !errors.Is(err, ErrComponentRequired) || !errors.As(err, &ce) || !reflect.DeepEqual(ce.Known, []string{"api", "indexer"}) {
		t.Errorf("no name, two components: %v", err)
	}
	_, err = m.Component("web")
	if !errors.Is(err, ErrUnknownComponent) || !strings.Contains(err.Error(), "api, indexer") {
		t.Errorf("unknown: %v", err)
	}
	one, err := Parse("ward.yaml", []byte("version: 1\ncomponents:\n  api:\n    language: go\n    env: {A: {from: x}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := one.Component(""); err != nil || c.Name != "api" {
		t.Errorf("the only component: %v %v", c, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ward.yaml")
	if err := os.WriteFile(p, []byte("version: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	var me *Error
	if !errors.As(err, &me) || me.Name != p || !strings.Contains(err.Error(), p+":1:10: version must be 1") {
		t.Errorf("Load: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, MaxSize+1), 0o644)
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("big file: %v", err)
	}
}

// The example shipped in examples/ward.yaml parses.
func TestShippedExample(t *testing.T) {
	m, err := Load("../../examples/ward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Components) < 2 {
		t.Errorf("examples/ward.yaml has %d components", len(m.Components))
	}
}
