package pattern

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// Every pattern ward ships, and some that stress the construction; each is
// checked against Go's regexp, the server's engine, on every probe.
var agreePatterns = []string{
	`^[\x21-\x7e]+$`, `^[A-Za-z0-9-]+$`, `^(AKIA|ASIA)[A-Z2-7]{16}$`, `^[A-Za-z0-9/+=]{40}$`,
	`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`, `^[A-Za-z0-9._:\[\]-]+$`, `^postgres(ql)?://`, `^HS`,
	`^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$`,
	`^amqps?://[^:@/]+:[^@/]+@[^/]+/.*$`, `^sk_(test|live)_[A-Za-z0-9]{16,}$`,
	`abc`, `a|^b|c$`, `x*`, `(?i)straße`, `^$`, `a$|^b`, `[^a]{2,3}`, `\d+\.\d*`, `.`, `(?s).`, `é+ü?$`,
	`^\pL{2}$`, `a{0,3}b`, `(ab)+c`, `^a.*z$`,
}

var probes = []string{
	"", "a", "b", "c", "ab", "abc", "xabcx", "HS256", "RS256", "AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNO",
	"postgres://x", "postgresql://", "postgre://", "sk_test_abcdefghijklmnop", "sk_test_abcdefghijklmno",
	"us-east-1", "us-gov-west-1", "us-east-12", "ssh-ed25519 AAAA comment", "ssh-ed25519 AAAA", "ssh-dss AAAA",
	"amqp://u:p@h/v", "amqps://u:p@h/", "amqp://u@h/v", "STRASSE", "straße", "STRAẞE", "\n", "a\nz", "az", "éé", "éüx",
	"12.", "1.5", "x1.", "ababc", "ac", "zzz", "ü", "日本", "a\x00z", "bbb", "aaab", "aaaab", "\xff", "tab\there",
	"[::1]", "db.internal:5432", "with space",
}

func TestDFAAgreesWithRegexp(t *testing.T) {
	for _, p := range agreePatterns {
		d, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile(%q): %v", p, err)
		}
		re := regexp.MustCompile(p)
		for _, s := range probes {
			if got, want := d.MatchString(s), re.MatchString(s); got != want {
				t.Errorf("pattern %q on %q: DFA says %v, regexp says %v", p, s, got, want)
			}
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	for p, want := range map[string]string{
		`\bword\b`:                     "word boundaries",
		`(?m)^a$`:                      "multi-line",
		`a{1000}b{1000}c{1000}d{1000}`: "states",
		`(`:                            "not a valid regular expression",
	} {
		_, err := Compile(p)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Fatalf("Compile(%q) = %v, want an *UnsupportedError", p, err)
		}
		if !strings.Contains(ue.Reason, want) {
			t.Errorf("Compile(%q): reason %q does not say %q", p, ue.Reason, want)
		}
	}
}

func TestGenerateMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range agreePatterns {
		d, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(p)
		for i := range 50 {
			s, err := d.Generate(rng, i%20)
			if err != nil {
				t.Fatalf("Generate(%q): %v", p, err)
			}
			if !re.MatchString(s) {
				t.Fatalf("Generate(%q) = %q, which regexp does not match", p, s)
			}
		}
	}
	d, _ := Compile(`a[^\x00-\x{10FFFF}]`)
	if _, err := d.Generate(rng, 5); !errors.Is(err, ErrNoMatch) {
		t.Errorf("a pattern nothing matches: Generate = %v, want ErrNoMatch", err)
	}
}

func TestGenerateAtLeast(t *testing.T) {
	d, err := Compile(`^cs_[A-Za-z0-9]+$`)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		s, err := d.GenerateAtLeast(rng, 40, 40)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) < 40 || !d.MatchString(s) {
			t.Fatalf("%q: %d long; want a match of at least 40", s, len(s))
		}
	}
}
