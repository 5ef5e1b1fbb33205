package policy

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bad.golden from the current messages")

func TestParseExample(t *testing.T) {
	src, err := os.ReadFile("testdata/ci-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("ci-api", src)
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Name:        "ci-api",
		Description: "read the api's secrets in staging",
		Raw:         src,
		Rules: []Rule{
			{Path: "staging/payments/*", Capabilities: []Capability{CapRead, CapList}, Line: 4},
			{Path: "*/shared/**", Capabilities: []Capability{CapRead}, Line: 6},
			{Path: "prod/payments/admin/**", Capabilities: []Capability{CapDeny}, Line: 8},
			{Path: "prod/payments/db", Capabilities: []Capability{CapRead}, MFA: true, Line: 10},
			{Path: "sys/policies/acl/*", Capabilities: []Capability{CapRead, CapList}, Line: 13},
		},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse gave\n%+v\nwant\n%+v", p, want)
	}
	src[0] = 'X'
	if p.Raw[0] == 'X' {
		t.Error("Policy.Raw shares the caller's buffer")
	}
}

func TestParseForms(t *testing.T) {
	for name, src := range map[string]string{
		"block lists":      "rules:\n- path: staging/a\n  capabilities:\n  - read\n  - list\n",
		"quoted":           "rules:\n  - {path: 'staging/a', capabilities: [\"read\", 'list']}\n",
		"document mark":    "---\nrules:\n  - path: staging/a\n    capabilities: [read, list]\n...\n",
		"trailing slash":   "rules:\n  - path: staging/a/\n    capabilities: [list]\n",
		"every capability": "rules:\n  - path: staging/a\n    capabilities: [read, list, create, update, patch, delete, undelete, destroy, admin]\n",
		"comments":         "# head\nrules: # the rules\n  - path: staging/a # a path\n    capabilities: [read] # read\n",
	} {
		if _, err := Parse("p", []byte(src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestParseErrors parses every file in testdata/bad, each of which must be
// refused with a *ParseError, and compares the messages with
// testdata/bad.golden (go test -run TestParseErrors -update rewrites it).
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test policies in testdata/bad: %v", err)
	}
	var out bytes.Buffer
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse("bad", src)
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrBadPolicy) || p != nil {
			t.Errorf("%s: Parse = %v, %v; want a *ParseError", f, p, err)
			continue
		}
		if lines := bytes.Count(src, []byte("\n")) + 1; pe.Line > lines || pe.Line < 0 {
			t.Errorf("%s: error at line %d of a %d-line file", f, pe.Line, lines)
		}
		fmt.Fprintf(&out, "%s:%d:%d: %v\n", filepath.Base(f), pe.Line, pe.Column, err)
	}
	const golden = "testdata/bad.golden"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestParseErrors -update)", err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("messages differ from %s:\n got: %s\nwant: %s", golden, g, w)
			}
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	src := []byte("rules:\n" + strings.Repeat("  - path: staging/a\n    capabilities: [read]\n", MaxPolicySize/40))
	if _, err := Parse("big", src); !errors.Is(err, ErrBadPolicy) {
		t.Fatalf("Parse of %d bytes = %v, want ErrBadPolicy", len(src), err)
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"ci-api", "a", "0", "team_payments", "x-1_2", strings.Repeat("a", 64)} {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q) = %v", n, err)
		}
	}
	if err := ValidName("root"); !errors.Is(err, ErrReservedName) {
		t.Errorf("ValidName(root) = %v, want ErrReservedName", err)
	}
	for _, n := range []string{"", "CI", "Root", "-a", "_a", "a b", "a/b", "a.b", "ci-api\n", "é", strings.Repeat("a", 65), "a\x00"} {
		if err := ValidName(n); !errors.Is(err, ErrBadName) {
			t.Errorf("ValidName(%q) = %v, want ErrBadName", n, err)
		}
		if err := ValidGrant(n); !errors.Is(err, ErrBadName) {
			t.Errorf("ValidGrant(%q) = %v, want ErrBadName", n, err)
		}
	}
	for _, n := range []string{"root", "ci-api"} {
		if err := ValidGrant(n); err != nil {
			t.Errorf("ValidGrant(%q) = %v", n, err)
		}
	}
}
