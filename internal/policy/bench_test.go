package policy

import (
	"fmt"
	"strings"
	"testing"
)

// benchPolicies builds 3 policies of 20 rules each, shaped like a team's:
// literal environments, globs within segments, "**", glob heads, system
// paths and a deny.
func benchPolicies(b testing.TB) []*Policy {
	envs := []string{"dev", "staging", "prod"}
	var ps []*Policy
	for i, team := range []string{"payments", "search", "platform"} {
		var src strings.Builder
		src.WriteString("rules:\n")
		for j := range 20 {
			env := envs[j%3]
			var path, caps string
			switch j % 10 {
			case 0:
				path, caps = fmt.Sprintf("%s/%s/svc%d/*", env, team, j), "[read, list]"
			case 1:
				path, caps = fmt.Sprintf("%s/%s/db%d", env, team, j), "[read]\n    mfa: required"
			case 2:
				path, caps = fmt.Sprintf("%s/%s/cache*", env, team), "[read, update]"
			case 3:
				path, caps = fmt.Sprintf("*/%s/shared%d/**", team, j), "[read]"
			case 4:
				path, caps = fmt.Sprintf("%s/%s/admin%d/**", env, team, j), "[deny]"
			case 5:
				path, caps = fmt.Sprintf("%s/%s/**/tls%d", env, team, j), "[read]"
			case 6:
				path, caps = fmt.Sprintf("sys/policies/acl/%s-%d", team, j), "[read]"
			case 7:
				path, caps = fmt.Sprintf("%s/%s/ci%d/**", env, team, j), "[create, update, patch]"
			case 8:
				path, caps = fmt.Sprintf("%s/*/team%d-*", env, j), "[list]"
			case 9:
				path, caps = fmt.Sprintf("%s/%s/rotating%d", env, team, j), "[admin]"
			}
			fmt.Fprintf(&src, "  - path: %q\n    capabilities: %s\n", path, caps)
		}
		p, err := Parse(fmt.Sprintf("team-%d", i), []byte(src.String()))
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func BenchmarkCheck(b *testing.B) {
	acl := NewACL(benchPolicies(b)...)
	for _, tt := range []struct {
		name, path string
		c          Capability
		allowed    bool
	}{
		{"allow", "staging/platform/rotating19", CapRead, true},
		{"allow-deep", "dev/search/a/b/c/tls15", CapRead, true},
		{"deny", "prod/platform/admin14/x/y", CapRead, false},
		{"miss", "prod/billing/unknown/secret", CapRead, false},
	} {
		if d := acl.Check(tt.path, tt.c); d.Allowed != tt.allowed {
			b.Fatalf("%s: %+v", tt.name, d)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				acl.Check(tt.path, tt.c)
			}
		})
	}
}

func BenchmarkCanonicalPath(b *testing.B) {
	for name, p := range map[string]string{
		"plain":   "prod/data/payments/db",
		"escaped": "prod/data/payments/%64b",
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CanonicalPath(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNewACL(b *testing.B) {
	ps := benchPolicies(b)
	b.ReportAllocs()
	for b.Loop() {
		NewACL(ps...)
	}
}

// BenchmarkCheckWorst is the case the index cannot help: 3 policies of 20
// rules that all start with a glob and hold "**", so every rule is tried.
func BenchmarkCheckWorst(b *testing.B) {
	var ps []*Policy
	for i := range 3 {
		var src strings.Builder
		src.WriteString("rules:\n")
		for j := range 20 {
			fmt.Fprintf(&src, "  - path: \"*/team%d/**/svc%d-*\"\n    capabilities: [read]\n", i, j)
		}
		p, err := Parse(fmt.Sprintf("wild-%d", i), []byte(src.String()))
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	acl := NewACL(ps...)
	const path = "prod/team2/a/b/c/d/svc19-db"
	if !acl.Check(path, CapRead).Allowed {
		b.Fatal("not allowed")
	}
	b.ReportAllocs()
	for b.Loop() {
		acl.Check(path, CapRead)
	}
}
