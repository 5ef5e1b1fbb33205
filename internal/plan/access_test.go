package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/policy"
)

func mustParse(t *testing.T, name, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const ciAPI = `rules:
  - path: "*/payments/*"
    capabilities: [read, list]
  - path: prod/payments/admin/**
    capabilities: [deny]
  - path: prod/payments/db
    capabilities: [read]
    mfa: required
  - path: st*/shared/**
    capabilities: [read]
  - path: sys/policies/acl/*
    capabilities: [read]
`

func TestAccessDiffRemovedAndChanged(t *testing.T) {
	envs := []string{"dev", "prod"}
	old := "rules:\n  - path: \"*/payments/*\"\n    capabilities: [read, list]\n"
	neu := "rules:\n  - path: prod/payments/*\n    capabilities: [read]\n    mfa: required\n"
	var got []string
	for _, a := range AccessDiff("ci", old, neu, envs) {
		got = append(got, a.String())
	}
	want := []string{
		"ci: -read dev/payments/*",
		"ci: -list dev/payments/*",
		"ci: +read prod/payments/* (mfa)",
		"ci: -read prod/payments/*",
		"ci: -list prod/payments/*",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AccessDiff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := AccessDiff("ci", old, "", envs); len(d) != 4 || d[0].Sign != "-" {
		t.Errorf("deleting the policy: %+v", d)
	}
}

func TestAccess(t *testing.T) {
	named := []Named{{Policy: mustParse(t, "ci-api", ciAPI), File: "policies/ci-api.yaml"}}
	tests := []struct {
		env  string
		want []string
	}{
		{"prod", []string{"read prod/payments/*", "list prod/payments/*", "deny prod/payments/admin/**", "read prod/payments/db (mfa)"}},
		{"staging", []string{"read staging/payments/*", "list staging/payments/*", "read staging/shared/**"}},
		{"sys", []string{"read sys/policies/acl/*"}},
	}
	for _, tt := range tests {
		var got []string
		for _, g := range Access(named, tt.env) {
			got = append(got, g.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Access(%s):\n%s\nwant:\n%s", tt.env, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
	if g := Access(named, "prod")[2]; g.Source != (Source{File: "policies/ci-api.yaml", Line: 4}) || g.RulePath != "prod/payments/admin/**" {
		t.Errorf("the deny's source = %+v", g)
	}
}

func TestExplain(t *testing.T) {
	named := []Named{{Policy: mustParse(t, "ci-api", ciAPI), File: "policies/ci-api.yaml"}}
	tests := []struct {
		env, path, op string
		allowed, mfa  bool
		rule          string
		line          int
	}{
		{"staging", "payments/db", "read", true, false, "*/payments/*", 2},
		{"prod", "payments/db", "read", true, true, "prod/payments/db", 6},
		{"prod", "payments/admin/key", "read", false, false, "prod/payments/admin/**", 4},
		{"prod", "payments/", "list", true, false, "*/payments/*", 2},
		{"prod", "payments/db", "update", false, false, "", 0},
		{"dev", "shared/x", "read", false, false, "", 0},
	}
	for _, tt := range tests {
		ex, err := Explain(named, tt.env, tt.path, tt.op)
		if err != nil {
			t.Fatalf("Explain(%s %s %s): %v", tt.env, tt.path, tt.op, err)
		}
		if ex.Allowed != tt.allowed || ex.MFA != tt.mfa || ex.RulePath != tt.rule || ex.Source.Line != tt.line {
			t.Errorf("Explain(%s %s %s) = %+v, want allowed=%v mfa=%v rule %q at line %d", tt.env, tt.path, tt.op, ex, tt.allowed, tt.mfa, tt.rule, tt.line)
		}
		if tt.rule != "" && ex.Source.File != "policies/ci-api.yaml" {
			t.Errorf("source file = %q", ex.Source.File)
		}
	}
	for _, bad := range [][3]string{{"prod", "payments/db", "raed"}, {"Prod", "x", "read"}, {"prod", "a//b", "read"}, {"prod", "x", "deny"}} {
		if _, err := Explain(named, bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("Explain(%q) accepted", bad)
		}
	}
}
