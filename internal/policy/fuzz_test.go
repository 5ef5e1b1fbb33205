package policy

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{
		"staging/payments/db", "staging/metadata/a/", "a/../b", "a/%2e%2e/b", "a//b", "a%2Fb", "a%5cb",
		"a\\b", "%00", "%0a", "%ff", "%", "%zz", "%c0%ae", "a%ef%bc%8fb", "%2e", "a/%252e", "/", "a/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CanonicalPath(in)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) || !errors.Is(err, ErrBadPath) || out != "" {
				t.Fatalf("refusal is not a *PathError with no path: %q, %v", out, err)
			}
			if pe.Index < 0 || pe.Index > strings.Count(in, "/")+1 {
				t.Fatalf("refusal names segment %d of a path with %d", pe.Index, strings.Count(in, "/")+1)
			}
			return
		}
		if again, err := CanonicalPath(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
		if !strings.Contains(in, "%") && out != in {
			t.Fatalf("a path without escapes changed: %q -> %q", in, out)
		}
		checkCanonical(t, out)
	})
}

// checkCanonical fails t when p holds any form CanonicalPath must refuse.
func checkCanonical(t *testing.T, p string) {
	t.Helper()
	if p == "" || !utf8.ValidString(p) || strings.ContainsAny(p, "%\\*") {
		t.Fatalf("canonical path %q is empty, not UTF-8 or holds %%, \\ or *", p)
	}
	for _, r := range p {
		if r < 0x20 || r >= 0x7f {
			t.Fatalf("canonical path %q holds %U", p, r)
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "." || s == ".." || s == "" && (i == 0 || i < len(segs)-1) {
			t.Fatalf("canonical path %q has segment %d %q", p, i+1, s)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, name := range append(files, bad...) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz", src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrBadPolicy) || p != nil {
				t.Fatalf("refusal is not a *ParseError: %v", err)
			}
			return
		}
		if len(p.Rules) == 0 || string(p.Raw) != string(src) {
			t.Fatalf("accepted a policy with %d rules or a changed source", len(p.Rules))
		}
		for _, r := range p.Rules {
			if msg := rulePathProblem(r.Path); msg != "" {
				t.Fatalf("accepted rule path %q: %s", r.Path, msg)
			}
			if len(r.Capabilities) == 0 || r.Line < 1 {
				t.Fatalf("accepted rule %+v", r)
			}
			for _, c := range r.Capabilities {
				if !c.known() || c == CapDeny && (len(r.Capabilities) > 1 || r.MFA) {
					t.Fatalf("accepted capabilities %v (mfa %v)", r.Capabilities, r.MFA)
				}
			}
		}
		acl := NewACL(p)
		probes := []string{"staging/a", "sys/policies/acl/x", "staging/", "prod/a/b/c"}
		for _, r := range p.Rules {
			// The rule's path with its stars read as letters is a path it matches.
			probe := strings.ReplaceAll(strings.ReplaceAll(r.Path, "**", "x"), "*", "x")
			checkCanonical(t, probe)
			probes = append(probes, probe)
		}
		for _, probe := range probes {
			for _, c := range allCaps {
				allowed, mfa := refCheck(p.Rules, probe, c)
				if d := acl.Check(probe, c); d.Allowed != allowed || d.MFA != mfa {
					t.Fatalf("Check(%q, %s) = %v mfa %v, the plain evaluation says %v mfa %v (%s)",
						probe, c, d.Allowed, d.MFA, allowed, mfa, d.Reason)
				}
			}
		}
	})
}

// FuzzGlobMatch checks the compiled matcher against a plain recursive one.
func FuzzGlobMatch(f *testing.F) {
	f.Add("staging/**/db", "staging/a/b/db")
	f.Add("staging/pay*", "staging/payments/x")
	f.Add("**/a/*/b", "a/a/x/b")
	f.Add("a*b*c/**", "abbc/")
	f.Add("staging/", "staging/")
	f.Add("staging", "staging/")
	f.Add("**", "sys/seal")
	f.Add("sys/*", "sys/")
	f.Fuzz(func(t *testing.T, pattern, p string) {
		if len(pattern) > 64 || len(p) > 64 || rulePathProblem(pattern) != "" {
			return
		}
		if _, err := CanonicalPath(p); err != nil {
			return
		}
		g := compileGlob(pattern)
		pat, segs := strings.Split(pattern, "/"), strings.Split(p, "/")
		want := refMatch(pat, segs)
		if got := g.match(segs); got != want {
			t.Fatalf("%q matching %q = %v, want %v", pattern, p, got, want)
		}
		// Through an ACL, where rules are filed by their literal head.
		if strings.Contains(pat[0], "*") && (segs[0] == "sys" || segs[0] == "auth") {
			want = false
		}
		acl := NewACL(&Policy{Name: "p", Rules: []Rule{{Path: pattern, Capabilities: []Capability{CapAdmin}}}})
		if got := acl.Check(p, CapRead).Allowed; got != want {
			t.Fatalf("ACL of %q allows read on %q = %v, want %v", pattern, p, got, want)
		}
	})
}

// refMatch is the obvious recursive definition of a rule glob.
func refMatch(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		return refMatch(pat[1:], segs) || len(segs) > 0 && refMatch(pat, segs[1:])
	}
	if len(segs) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && refMatch(pat[1:], segs[1:])
}

// refCheck is the obvious evaluation of rules on a canonical path: any
// matching deny refuses; else any matching rule granting c (or admin)
// allows, needing MFA if any of those requires it.
func refCheck(rules []Rule, p string, c Capability) (allowed, mfa bool) {
	segs := strings.Split(p, "/")
	for _, r := range rules {
		pat := strings.Split(r.Path, "/")
		if strings.Contains(pat[0], "*") && (segs[0] == "sys" || segs[0] == "auth") || !refMatch(pat, segs) {
			continue
		}
		for _, k := range r.Capabilities {
			switch k {
			case CapDeny:
				return false, false
			case c, CapAdmin:
				allowed = true
				mfa = mfa || r.MFA
			}
		}
	}
	return allowed, mfa
}
