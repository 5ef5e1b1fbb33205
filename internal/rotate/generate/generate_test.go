package generate_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/rotate/generate"
	"github.com/wardhq/ward/internal/types"
)

// seeded is a deterministic reader for reproducible tests.
func seeded(seed uint64) io.Reader { return rand.NewChaCha8([32]byte{byte(seed)}) }

func TestBuiltinsValidateAndKeepPublicFields(t *testing.T) {
	g := generate.New(generate.Config{})
	cases := []struct {
		typ     string
		current map[string]any
		made    string
		kept    string
	}{
		{"password", map[string]any{"username": "app", "password": "old-password-1234"}, "password", "username"},
		{"api-token", map[string]any{"token": "old-token-0123456789", "header": "X-Api-Key", "endpoint": "https://api.example.com"}, "token", "header"},
		{"jwt-signing-key", map[string]any{"algorithm": "HS256", "key": strings.Repeat("k", 40), "kid": "one"}, "key", "algorithm"},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			typ := types.Builtin(c.typ)
			seen := map[any]bool{}
			for range 20 {
				next, err := g.Next(typ, c.current)
				if err != nil {
					t.Fatal(err)
				}
				if err := typ.Validate("test", "p", next); err != nil {
					t.Fatalf("generated value does not validate: %v", err)
				}
				if next[c.kept] != c.current[c.kept] {
					t.Fatalf("%s changed", c.kept)
				}
				if next[c.made] == c.current[c.made] || seen[next[c.made]] {
					t.Fatalf("%s repeated", c.made)
				}
				seen[next[c.made]] = true
			}
		})
	}
}

func TestPasswordLengthAndCharset(t *testing.T) {
	g := generate.New(generate.Config{})
	next, err := g.Next(types.Builtin("password"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pw := next["password"].(string)
	if len(pw) < 32 {
		t.Fatalf("password of %d characters; want at least 32", len(pw))
	}
	for _, r := range pw {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			t.Fatalf("password holds %q; want letters and digits", r)
		}
	}
}

func TestJWTEveryFamily(t *testing.T) {
	typ := types.Builtin("jwt-signing-key")
	g := generate.New(generate.Config{})
	for _, alg := range []string{"HS512", "ES256", "ES384", "ES512", "EdDSA", "RS256"} {
		cur := map[string]any{"algorithm": alg, "key": "x", "kid": "k1"}
		next, err := g.Next(typ, cur)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if next["kid"] == "k1" || next["kid"] == "" || next["algorithm"] != alg {
			t.Fatalf("%s: kid %v algorithm %v", alg, next["kid"], next["algorithm"])
		}
		key := next["key"].(string)
		if strings.HasPrefix(alg, "HS") {
			if len(key) < 64 {
				t.Fatalf("%s: key of %d characters", alg, len(key))
			}
			continue
		}
		b, _ := pem.Decode([]byte(key))
		if b == nil {
			t.Fatalf("%s: not PEM", alg)
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		want := map[string]string{"ES256": "*ecdsa.PrivateKey", "ES384": "*ecdsa.PrivateKey", "ES512": "*ecdsa.PrivateKey", "EdDSA": "ed25519.PrivateKey", "RS256": "*rsa.PrivateKey"}[alg]
		if got := typeName(k); got != want {
			t.Fatalf("%s: key is %s, want %s", alg, got, want)
		}
	}
}

func TestRandomnessIsInjected(t *testing.T) {
	typ := types.Builtin("api-token")
	a, err := generate.New(generate.Config{Rand: seeded(7)}).Next(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate.New(generate.Config{Rand: seeded(7)}).Next(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := generate.New(generate.Config{Rand: seeded(8)}).Next(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a["token"] != b["token"] || a["token"] == c["token"] {
		t.Fatal("the token does not follow Config.Rand")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy gone") }

func TestBadRandomIsRefused(t *testing.T) {
	typ := types.Builtin("password")
	_, err := generate.New(generate.Config{Rand: failingReader{}}).Next(typ, nil)
	if !errors.Is(err, generate.ErrBadRandom) {
		t.Fatalf("failing reader: %v; want ErrBadRandom", err)
	}
	// A source that repeats itself makes the current value again.
	first, err := generate.New(generate.Config{Rand: seeded(3)}).Next(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generate.New(generate.Config{Rand: seeded(3)}).Next(typ, first); !errors.Is(err, generate.ErrBadRandom) {
		t.Fatalf("repeating reader: %v; want ErrBadRandom", err)
	}
}

func TestNoGenerator(t *testing.T) {
	for _, name := range []string{"postgres", "tls", "aws-access-key", "ssh-private-key", "url-with-credentials"} {
		typ := types.Builtin(name)
		if generate.CanGenerate(typ) {
			t.Fatalf("%s: CanGenerate", name)
		}
		if _, err := generate.New(generate.Config{}).Next(typ, map[string]any{}); !errors.Is(err, generate.ErrNoGenerator) {
			t.Fatalf("%s: %v; want ErrNoGenerator", name, err)
		}
	}
}

const oauthClient = `{"type": "object", "required": ["client_id", "client_secret"],
 "properties": {
   "client_id": {"type": "string", "pattern": "^app-[a-z]+$", "x-ward-sensitive": false},
   "client_secret": {"type": "string", "minLength": 40, "maxLength": 60, "pattern": "^cs_[A-Za-z0-9]+$", "x-ward-generate": true},
   "signing_key": {"type": "string", "format": "ward-pem-private-key", "x-ward-generate": true}},
 "additionalProperties": false}`

func TestCustomType(t *testing.T) {
	g := generate.New(generate.Config{})
	if err := g.CheckType("oauth-client", []byte(oauthClient)); err != nil {
		t.Fatal(err)
	}
	typ, err := types.Compile("oauth-client", []byte(oauthClient))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(generate.Fields(typ), ","); got != "client_secret,signing_key" {
		t.Fatalf("fields %s", got)
	}
	cur := map[string]any{"client_id": "app-billing", "client_secret": "cs_" + strings.Repeat("a", 40)}
	next, err := g.Next(typ, cur)
	if err != nil {
		t.Fatal(err)
	}
	if err := typ.Validate("t", "p", next); err != nil {
		t.Fatal(err)
	}
	if next["client_id"] != "app-billing" || next["client_secret"] == cur["client_secret"] || next["signing_key"] == nil {
		t.Fatalf("fields not as expected: id %v", next["client_id"])
	}
}

func TestCheckTypeRefuses(t *testing.T) {
	cases := map[string]struct{ schema, field string }{
		"pattern shorter than minLength": {`{"type":"object","properties":{"s":{"type":"string","pattern":"^[a-z]{4}$","minLength":10,"x-ward-generate":true}}}`, ""},
		"not a string":                   {`{"type":"object","properties":{"n":{"type":"integer","x-ward-generate":true}}}`, "n"},
		"not a boolean":                  {`{"type":"object","properties":{"s":{"type":"string","x-ward-generate":"yes"}}}`, "s"},
		"nested":                         {`{"type":"object","properties":{"o":{"type":"object","properties":{"s":{"type":"string","x-ward-generate":true}}}}}`, ""},
		"at the top":                     {`{"type":"object","x-ward-generate":true,"properties":{"s":{"type":"string"}}}`, ""},
		"enum that the const forbids":    {`{"type":"object","properties":{"s":{"type":"string","enum":["a","b"],"x-ward-generate":true}},"allOf":[{"properties":{"s":{"const":"c"}}}]}`, ""},
	}
	g := generate.New(generate.Config{})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := g.CheckType("custom", []byte(c.schema))
			var te *generate.TypeError
			if !errors.As(err, &te) || !errors.Is(err, generate.ErrCannotGenerate) {
				t.Fatalf("got %v; want a *TypeError", err)
			}
			if c.field != "" && te.Field != c.field {
				t.Fatalf("field %q; want %q (%v)", te.Field, c.field, err)
			}
		})
	}
}

func TestCheckTypeAcceptsTypesWithoutMarks(t *testing.T) {
	g := generate.New(generate.Config{})
	if err := g.CheckType("plain", []byte(`{"type":"object","properties":{"s":{"type":"string"}}}`)); err != nil {
		t.Fatal(err)
	}
	for name, src := range types.Builtins() {
		if err := g.CheckType(name, src); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
