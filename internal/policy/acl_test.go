package policy

import (
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// mustParse parses a policy written in the test, failing it on error.
func mustParse(t testing.TB, name, src string) *Policy {
	t.Helper()
	p, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("policy %s: %v", name, err)
	}
	return p
}

func exampleACL(t *testing.T) *ACL {
	src, err := os.ReadFile("testdata/ci-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("ci-api", src)
	if err != nil {
		t.Fatal(err)
	}
	ops := mustParse(t, "ops", `
rules:
  - path: prod/payments/**
    capabilities: [admin]
  - path: prod/payments/db
    capabilities: [read]
`)
	return NewACL(p, ops)
}

func TestCheck(t *testing.T) {
	acl := exampleACL(t)
	tests := []struct {
		path    string
		c       Capability
		allowed bool
		mfa     bool
		policy  string
		line    int
	}{
		{"staging/payments/db", CapRead, true, false, "ci-api", 4},
		{"staging/payments/db", CapList, true, false, "ci-api", 4},
		{"staging/payments/", CapList, true, false, "ci-api", 4},
		{"staging/payments/db", CapUpdate, false, false, "", 0},
		{"staging/payments/db/old", CapRead, false, false, "", 0},
		{"staging/paymentsx", CapRead, false, false, "", 0},
		{"staging/shared/sentry", CapRead, true, false, "ci-api", 6},
		{"dev/shared/a/b/c", CapRead, true, false, "ci-api", 6},
		{"dev/shared/a", CapList, false, false, "", 0},
		// admin in ops grants everything under prod/payments...
		{"prod/payments/stripe", CapDestroy, true, false, "ops", 3},
		{"prod/payments/stripe", CapUndelete, true, false, "ops", 3},
		{"prod/payments/", CapList, true, false, "ops", 3},
		// ...except where ci-api's deny refuses, whichever policy allows.
		{"prod/payments/admin", CapRead, false, false, "ci-api", 8},
		{"prod/payments/admin/", CapList, false, false, "ci-api", 8},
		{"prod/payments/admin/root", CapRead, false, false, "ci-api", 8},
		{"prod/payments/admin/a/b", CapAdmin, false, false, "ci-api", 8},
		// mfa sticks: ops's rules grant read without it, ci-api's requires it.
		{"prod/payments/db", CapRead, true, true, "ci-api", 10},
		{"prod/payments/db", CapUpdate, true, false, "ops", 3},
		// System paths are granted only by rules that name them.
		{"sys/policies/acl/ci-api", CapRead, true, false, "ci-api", 13},
		{"sys/policies/acl/", CapList, true, false, "ci-api", 13},
		{"sys/policies/acl/ci-api", CapUpdate, false, false, "", 0},
		{"sys/shared/x", CapRead, false, false, "", 0},
		{"auth/shared/x", CapRead, false, false, "", 0},
		// Nothing and nonsense.
		{"", CapRead, false, false, "", 0},
		{"staging/payments/db", CapDeny, false, false, "", 0},
		{"staging/payments/db", Capability("rotate"), false, false, "", 0},
	}
	for _, tt := range tests {
		d := acl.Check(tt.path, tt.c)
		if d.Allowed != tt.allowed || d.MFA != tt.mfa || d.Policy != tt.policy || d.Rule.Line != tt.line {
			t.Errorf("Check(%q, %s) = allowed %v, mfa %v, by %q line %d; want %v, %v, %q line %d (%s)",
				tt.path, tt.c, d.Allowed, d.MFA, d.Policy, d.Rule.Line, tt.allowed, tt.mfa, tt.policy, tt.line, d.Reason)
		}
		if d.Reason == "" {
			t.Errorf("Check(%q, %s) gives no reason", tt.path, tt.c)
		}
	}
}

func TestCheckReasons(t *testing.T) {
	acl := exampleACL(t)
	for _, tt := range []struct {
		path string
		c    Capability
		want string
	}{
		{"staging/payments/db", CapRead, `allowed by policy "ci-api", line 4: staging/payments/*`},
		{"prod/payments/admin/x", CapRead, `denied by policy "ci-api", line 8: prod/payments/admin/**`},
		{"staging/payments/db", CapDelete, `no rule of policies [ci-api, ops] grants delete on staging/payments/db`},
	} {
		if got := acl.Check(tt.path, tt.c).Reason; got != tt.want {
			t.Errorf("Check(%q, %s).Reason = %q, want %q", tt.path, tt.c, got, tt.want)
		}
	}
}

func TestDenyWinsAcrossPolicies(t *testing.T) {
	allow := mustParse(t, "allow", "rules:\n  - path: prod/**\n    capabilities: [admin]\n")
	deny := mustParse(t, "deny", "rules:\n  - path: prod/payments/*\n    capabilities: [deny]\n")
	for _, acl := range []*ACL{NewACL(allow, deny), NewACL(deny, allow)} {
		if d := acl.Check("prod/payments/db", CapRead); d.Allowed || d.Policy != "deny" {
			t.Errorf("deny did not win: %+v", d)
		}
		if got := acl.Capabilities("prod/payments/db"); !reflect.DeepEqual(got, []string{"deny"}) {
			t.Errorf("Capabilities on a denied path = %v", got)
		}
		if d := acl.Check("prod/other", CapDestroy); !d.Allowed {
			t.Errorf("admin elsewhere refused: %+v", d)
		}
	}
}

// TestGlobHeadIsEnvironment checks that a glob in the first segment never
// reaches the system paths.
func TestGlobHeadIsEnvironment(t *testing.T) {
	acl := NewACL(mustParse(t, "all", "rules:\n  - path: \"**\"\n    capabilities: [admin]\n  - path: s*/**\n    capabilities: [admin]\n"))
	for _, p := range []string{"sys/policies/acl/x", "sys/seal", "auth/token/create", "sys/", "auth"} {
		if d := acl.Check(p, CapUpdate); d.Allowed {
			t.Errorf("glob-headed rule reached system path %q: %s", p, d.Reason)
		}
	}
	if d := acl.Check("staging/x/y", CapUpdate); !d.Allowed {
		t.Errorf("** refused an environment path: %s", d.Reason)
	}
	sys := NewACL(mustParse(t, "sys", "rules:\n  - path: sys/**\n    capabilities: [read]\n"))
	if d := sys.Check("sys/seal-status", CapRead); !d.Allowed {
		t.Errorf("literal sys rule refused: %s", d.Reason)
	}
}

func TestCapabilities(t *testing.T) {
	acl := exampleACL(t)
	all := []string{"admin", "create", "delete", "destroy", "list", "patch", "read", "undelete", "update"}
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"staging/payments/db", []string{"list", "read"}},
		{"staging/shared/x", []string{"read"}},
		{"prod/payments/db", all},
		{"prod/payments/admin/x", []string{"deny"}},
		{"qa/other", []string{"deny"}},
		{"sys/policies/acl/x", []string{"list", "read"}},
	} {
		if got := acl.Capabilities(tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Capabilities(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if got := Root().Capabilities("anything/at/all"); !reflect.DeepEqual(got, []string{"root"}) {
		t.Errorf("root Capabilities = %v", got)
	}
	if got := NewACL().Capabilities("staging/x"); !reflect.DeepEqual(got, []string{"deny"}) {
		t.Errorf("empty ACL Capabilities = %v", got)
	}
}

func TestRoot(t *testing.T) {
	for _, c := range append(allCaps[:], CapDeny) {
		if d := Root().Check("sys/seal", c); !d.Allowed || d.Policy != RootName || d.MFA {
			t.Errorf("root refused %s: %+v", c, d)
		}
	}
	if d := NewACL(nil).Check("staging/x", CapRead); d.Allowed {
		t.Errorf("an ACL of no policies allowed: %+v", d)
	}
}

func TestACLConcurrent(t *testing.T) {
	acl := exampleACL(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if !acl.Check("staging/payments/db", CapRead).Allowed || acl.Check("prod/payments/admin/x", CapRead).Allowed {
					t.Error("wrong decision under concurrency")
					return
				}
				acl.Capabilities("prod/payments/db")
			}
		}()
	}
	wg.Wait()
}

// TestCheckAgainstPlainEvaluation compares the indexed ACL of three team
// policies with the plain evaluation of all their rules, on paths made from
// the rules themselves.
func TestCheckAgainstPlainEvaluation(t *testing.T) {
	ps := benchPolicies(t)
	acl := NewACL(ps...)
	var all []Rule
	for _, p := range ps {
		all = append(all, p.Rules...)
	}
	fills := []string{"x", "a/b", "svc0", "team8-x", "", "cache1"}
	var probes []string
	for _, r := range all {
		for _, fill := range fills {
			probe := strings.ReplaceAll(strings.ReplaceAll(r.Path, "**", fill), "*", fill)
			for _, env := range []string{"", "dev/", "sys/"} {
				p := probe
				if env != "" {
					_, rest, _ := strings.Cut(probe, "/")
					p = env + rest
				}
				if _, err := CanonicalPath(p); err == nil {
					probes = append(probes, p, p+"/")
				}
			}
		}
	}
	checked, allowedN, mfaN := 0, 0, 0
	for _, p := range probes {
		if _, err := CanonicalPath(p); err != nil {
			continue
		}
		for _, c := range allCaps {
			allowed, mfa := refCheck(all, p, c)
			if d := acl.Check(p, c); d.Allowed != allowed || d.MFA != mfa {
				t.Errorf("Check(%q, %s) = %v mfa %v, plain evaluation %v mfa %v (%s)", p, c, d.Allowed, d.MFA, allowed, mfa, d.Reason)
			}
			checked++
			if allowed {
				allowedN++
			}
			if mfa {
				mfaN++
			}
		}
	}
	if checked < 1000 || allowedN < checked/20 || allowedN > checked/2 || mfaN == 0 {
		t.Fatalf("%d checks, %d allowed, %d with MFA: the probes do not exercise the rules", checked, allowedN, mfaN)
	}
}
