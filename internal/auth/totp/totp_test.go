package totp

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

func TestRFC6238Vectors(t *testing.T) {
	b, err := os.ReadFile("testdata/rfc6238.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Seeds   map[string]string
		Vectors []map[string]any
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	algs := map[string]otp.Algorithm{"SHA1": otp.AlgorithmSHA1, "SHA256": otp.AlgorithmSHA256, "SHA512": otp.AlgorithmSHA512}
	for _, v := range f.Vectors {
		tm := time.Unix(int64(v["time"].(float64)), 0)
		for name, alg := range algs {
			secret := base32.StdEncoding.EncodeToString([]byte(f.Seeds[name]))
			got, err := codeAt(secret, step(tm), 8, alg)
			if err != nil {
				t.Fatal(err)
			}
			if want := v[name].(string); got != want {
				t.Errorf("%s at %d: %s; want %s", name, tm.Unix(), got, want)
			}
		}
	}
	// The six-digit code ward uses is the last six digits of the same value.
	secret := base32.StdEncoding.EncodeToString([]byte(f.Seeds["SHA1"]))
	if got, _ := Code(secret, time.Unix(59, 0)); got != "287082" {
		t.Errorf("Code at 59 = %s; want 287082", got)
	}
}

func TestNewKeyURI(t *testing.T) {
	k, err := NewKey(nil, "ward", "alice")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(k.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("secret") != k.Secret || q.Get("issuer") != "ward" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" || !strings.Contains(u.Path, "alice") {
		t.Fatalf("URI %s", k.URI)
	}
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(k.Secret); err != nil || len(raw) != SecretSize {
		t.Fatalf("secret is %d bytes, %v", len(raw), err)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"

func setup() (*Verifier, *clock) {
	c := &clock{t: time.Unix(1111111111, 0)}
	return NewVerifier(Config{Now: c.now}), c
}

func code(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyWindow(t *testing.T) {
	now := time.Unix(1111111111, 0)
	tests := []struct {
		name string
		at   time.Duration
		want error
	}{
		{"current step", 0, nil},
		{"one step back", -Period, nil},
		{"one step ahead", Period, nil},
		{"two steps back", -2 * Period, ErrInvalidCode},
		{"two steps ahead", 2 * Period, ErrInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := setup()
			if err := v.Verify("userpass/alice", secret, code(t, now.Add(tt.at))); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyRefusesOtherForms(t *testing.T) {
	v, c := setup()
	good := code(t, c.t)
	forms := []string{
		" " + good,
		good + " ",
		good[:3] + " " + good[3:],
		"0" + good,
		good[1:],
		strings.Map(func(r rune) rune { return r - '0' + '０' }, good), // full-width digits
		strings.Map(func(r rune) rune { return r - '0' + '٠' }, good), // Arabic-Indic digits
		good + "\n",
		"+" + good[1:],
		"",
	}
	for _, f := range forms {
		v.Forget("userpass/alice")
		if err := v.Verify("userpass/alice", secret, f); !errors.Is(err, ErrMalformedCode) {
			t.Errorf("Verify(%q) = %v; want ErrMalformedCode", f, err)
		}
	}
	v.Forget("userpass/alice")
	if err := v.Verify("userpass/alice", secret, good); err != nil {
		t.Fatalf("the exact code was refused: %v", err)
	}
}

func TestVerifyReplay(t *testing.T) {
	v, c := setup()
	now := code(t, c.t)
	prev := code(t, c.t.Add(-Period))
	next := code(t, c.t.Add(Period))
	steps := []struct {
		identity, code string
		want           error
	}{
		{"userpass/alice", now, nil},
		{"userpass/alice", now, ErrReplayed},
		{"userpass/alice", prev, ErrReplayed}, // an earlier step after a later one
		{"userpass/bob", now, nil},            // another identity's steps are its own
		{"userpass/alice", next, nil},
		{"userpass/alice", next, ErrReplayed},
	}
	for i, s := range steps {
		if err := v.Verify(s.identity, secret, s.code); !errors.Is(err, s.want) {
			t.Fatalf("step %d: Verify = %v; want %v", i, err, s.want)
		}
	}
}

func TestVerifyRateLimit(t *testing.T) {
	v, c := setup()
	good := code(t, c.t)
	for i := 0; i < 5; i++ {
		if err := v.Verify("userpass/alice", secret, "000000"); !errors.Is(err, ErrInvalidCode) && good != "000000" {
			t.Fatalf("guess %d: %v", i, err)
		}
		c.t = c.t.Add(time.Second)
	}
	var rl *RateLimitError
	if err := v.Verify("userpass/alice", secret, code(t, c.t)); !errors.As(err, &rl) {
		t.Fatalf("6th try with the right code = %v; want *RateLimitError", err)
	}
	if want := time.Unix(1111111111, 0).Add(time.Minute); !rl.Until.Equal(want) {
		t.Fatalf("limited until %v; want %v", rl.Until, want)
	}
	if err := v.Verify("userpass/bob", secret, code(t, c.t)); err != nil {
		t.Fatalf("another identity is limited too: %v", err)
	}
	c.t = time.Unix(1111111111, 0).Add(time.Minute)
	if err := v.Verify("userpass/alice", secret, code(t, c.t)); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestWellFormed(t *testing.T) {
	for s, want := range map[string]bool{"123456": true, "000000": true, "12345": false, "1234567": false, "12345a": false, "１２３４５６": false} {
		if WellFormed(s) != want {
			t.Errorf("WellFormed(%q) != %v", s, want)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	c := &clock{t: time.Unix(1111111111, 0)}
	v := NewVerifier(Config{Now: c.now, MaxFailures: 1 << 30})
	for b.Loop() {
		c.t = c.t.Add(Period)
		cd, _ := Code(secret, c.t)
		if err := v.Verify("userpass/alice", secret, cd); err != nil {
			b.Fatal(err)
		}
	}
}

// Steps 37079356 and 37079357 of the RFC's SHA1 seed share the code
// 186519. Using it at the first step must not spend the second.
func TestVerifyAdjacentStepsShareACode(t *testing.T) {
	first := time.Unix(37079356*30, 0)
	if a, b := code(t, first), code(t, first.Add(Period)); a != "186519" || b != a {
		t.Fatalf("codes %s and %s; the vector is wrong", a, b)
	}
	c := &clock{t: first}
	v := NewVerifier(Config{Now: c.now})
	if err := v.Verify("userpass/alice", secret, "186519"); err != nil {
		t.Fatalf("at the first step: %v", err)
	}
	c.t = first.Add(Period)
	if err := v.Verify("userpass/alice", secret, "186519"); err != nil {
		t.Fatalf("the next step's code, equal by chance, was refused: %v", err)
	}
	if err := v.Verify("userpass/alice", secret, "186519"); !errors.Is(err, ErrReplayed) {
		t.Fatalf("a third use: %v; want ErrReplayed", err)
	}
}
