package jwtauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	iss   *oidctest.Issuer
	clock *clock
	v     *jwtauth.Validator
}

func newFixture(t *testing.T, cfg jwtauth.Config, fo jwtauth.FetchOptions) *fixture {
	t.Helper()
	iss := oidctest.New()
	t.Cleanup(iss.Close)
	c := &clock{t: time.Now()}
	iss.Now = c.Now
	if cfg.OIDCDiscoveryURL == "" && cfg.JWKSURL == "" && len(cfg.JWTValidationPubkeys) == 0 {
		cfg.OIDCDiscoveryURL = iss.URL
	}
	if fo.FetchTimeout == 0 {
		fo.FetchTimeout = time.Second
	}
	v, err := jwtauth.NewValidator(cfg, jwtauth.Options{Now: c.Now, Remote: fo})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{iss: iss, clock: c, v: v}
}

// prodRole binds prod to one repository id, main, and the production
// environment, as examples/jwt-roles/prod.json does.
func prodRole() *jwtauth.Role {
	r := &jwtauth.Role{
		BoundAudiences: []string{"https://ward.example.com"},
		BoundClaims: map[string]any{
			"repository_id": "74",
			"ref":           "refs/heads/main",
			"environment":   "production",
		},
		TokenPolicies: []string{"deploy"},
		Environment:   "prod",
	}
	if err := r.Check(); err != nil {
		panic(err)
	}
	return r
}

func stagingRole() *jwtauth.Role {
	r := &jwtauth.Role{
		BoundAudiences:  []string{"https://ward.example.com"},
		BoundClaimsType: "glob",
		BoundClaims:     map[string]any{"repository_id": "74", "ref": []any{"refs/heads/*", "refs/tags/v*"}},
		TokenPolicies:   []string{"ci"},
		Environment:     "staging",
	}
	if err := r.Check(); err != nil {
		panic(err)
	}
	return r
}

func prodJob() oidctest.GitHubJob {
	return oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "production"}
}

func mutate(c map[string]any, f func(map[string]any)) map[string]any { f(c); return c }

// TestAttacks: every attack in issue #4 is refused, with a reason that
// names the rule.
func TestAttacks(t *testing.T) {
	f := newFixture(t, jwtauth.Config{}, jwtauth.FetchOptions{})
	good := f.iss.GitHub(prodJob())
	cur := f.iss.Current()
	der, _ := x509.MarshalPKIXPublicKey(cur.Public())
	hs := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, key); m.Write(in); return m.Sum(nil) }
	}
	stranger := f.iss.NewKey(jose.RS256)
	stranger.ID = cur.ID
	tests := []struct {
		name string
		jwt  string
		role *jwtauth.Role
		want string
	}{
		{"alg none", oidctest.Forge(map[string]any{"alg": "none", "typ": "JWT", "kid": cur.ID}, good, nil), nil, `alg "none" is refused`},
		{"alg None", oidctest.Forge(map[string]any{"alg": "None", "kid": cur.ID}, good, nil), nil, `is refused`},
		{"HS256 with the public key PEM", oidctest.Forge(map[string]any{"alg": "HS256", "kid": cur.ID}, good, hs([]byte(cur.PublicPEM()))), nil, "HMAC algorithms are never accepted"},
		{"HS256 with the public key DER", oidctest.Forge(map[string]any{"alg": "HS256", "kid": cur.ID}, good, hs(der)), nil, "HMAC"},
		{"HS512", oidctest.Forge(map[string]any{"alg": "HS512", "kid": cur.ID}, good, hs(der)), nil, "HMAC"},
		{"unknown alg", oidctest.Forge(map[string]any{"alg": "RS1", "kid": cur.ID}, good, nil), nil, "is not accepted"},
		{"aud array without the audience", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["aud"] = []any{"https://github.com/acme", "sts.amazonaws.com"} })), nil, "aud does not contain"},
		{"aud string mismatch", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["aud"] = "https://ward.example.com/" })), nil, "aud does not contain"},
		{"aud case folded", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["aud"] = "https://WARD.example.com" })), nil, "aud does not contain"},
		{"aud number", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["aud"] = 1 })), nil, "neither a string"},
		{"aud array with a number", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["aud"] = []any{1, "https://ward.example.com"} })), nil, "not a string"},
		{"missing aud", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { delete(c, "aud") })), nil, "has no aud"},
		{"expired beyond leeway", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["exp"] = f.clock.Now().Unix() - 61 })), nil, "expired"},
		{"no exp", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { delete(c, "exp") })), nil, "has no exp"},
		{"exp a string", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["exp"] = "9999999999" })), nil, "exp is not a number"},
		{"future nbf", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["nbf"] = f.clock.Now().Unix() + 120 })), nil, "not valid yet"},
		{"future iat", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["iat"] = f.clock.Now().Unix() + 120 })), nil, "issued in the future"},
		{"no iat", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { delete(c, "iat") })), nil, "has no iat"},
		{"too old", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) {
			c["iat"] = f.clock.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = f.clock.Now().Add(time.Hour).Unix()
		})), nil, "max_age"},
		{"wrong iss", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["iss"] = "https://token.actions.githubusercontent.com" })), nil, "iss is not the configured issuer"},
		{"iss with a trailing slash", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["iss"] = f.iss.URL + "/" })), nil, "iss is not"},
		{"no iss", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { delete(c, "iss") })), nil, "iss is not"},
		{"unknown kid", oidctest.SignWith(&oidctest.Key{ID: "nope", Alg: cur.Alg, Private: cur.Private}, map[string]any{"kid": "nope"}, good), nil, "no key with the token's key ID"},
		{"signed by another key with the issuer's kid", oidctest.SignWith(stranger, map[string]any{"kid": cur.ID}, good), nil, "signature does not verify"},
		{"PS256 accepted type, RS256 key pinned", oidctest.SignWith(&oidctest.Key{ID: cur.ID, Alg: jose.PS256, Private: cur.Private}, map[string]any{"kid": cur.ID}, good), nil, "not allowed with the issuer's key"},
		{"pull request against prod", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", EventName: "pull_request", Ref: "refs/pull/7/merge"})), nil, `the claim "environment" the role is bound to is missing`},
		{"pull request ref with production env", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "production", Ref: "refs/pull/7/merge"})), nil, `claim "ref" does not match`},
		{"other branch", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "production", Ref: "refs/heads/dev"})), nil, `claim "ref"`},
		{"recreated repository", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "production", RepositoryID: "9001"})), nil, `claim "repository_id"`},
		{"repository id as a number", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["repository_id"] = 74 })), nil, `claim "repository_id"`},
		{"environment case folded", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "Production"})), nil, `claim "environment"`},
		{"environment with a space", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "production "})), nil, `claim "environment"`},
		{"staging token on prod", f.iss.Sign(f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Environment: "staging"})), nil, `claim "environment"`},
		{"role without bound_audiences", f.iss.Sign(good), &jwtauth.Role{TokenPolicies: []string{"x"}, Environment: "prod"}, "no bound_audiences"},
		{"oversized", f.iss.Sign(mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["pad"] = strings.Repeat("a", 20000) })), nil, "the limit is 16384"},
		{"empty", "", nil, "empty"},
		{"two parts", "abc.def", nil, "three base64url parts"},
		{"JWE", "a.b.c.d.e", nil, "three base64url parts"},
		{"header not base64", "!!!.e30.", nil, "not base64url"},
		{"header not JSON", "bm90anNvbg.e30.", nil, "not a JSON object"},
		{"header without alg", oidctest.Forge(map[string]any{"kid": cur.ID}, good, nil), nil, "has no alg"},
		{"header alg a number", oidctest.Forge(map[string]any{"alg": 256}, good, nil), nil, "has no alg"},
		{"header with jku", oidctest.SignWith(cur, map[string]any{"kid": cur.ID, "jku": "https://evil.example/jwks"}, good), nil, `own keys ("jku")`},
		{"header with x5u", oidctest.SignWith(cur, map[string]any{"kid": cur.ID, "x5u": "https://evil.example/cert"}, good), nil, `own keys ("x5u")`},
		{"header with embedded jwk", oidctest.Forge(map[string]any{"alg": "RS256", "kid": cur.ID, "jwk": map[string]any{"kty": "RSA"}}, good, nil), nil, `own keys ("jwk")`},
		{"header with crit", oidctest.Forge(map[string]any{"alg": "RS256", "kid": cur.ID, "crit": []any{"exp"}, "exp": 1}, good, nil), nil, "crit"},
		{"header typ not JWT", oidctest.SignWith(cur, map[string]any{"kid": cur.ID, "typ": "at+jwt"}, good), nil, "typ is not JWT"},
		{"header kid a number", oidctest.Forge(map[string]any{"alg": "RS256", "kid": 7}, good, nil), nil, "kid is not a string"},
		{"header repeats alg", dupHeader(cur.ID), nil, `"alg" appears twice`},
		{"junk signature", f.iss.Sign(good)[:len(f.iss.Sign(good))-10] + "AAAAAAAAAA", nil, "signature does not verify"},
		{"signature not base64", f.iss.Sign(good) + "!", nil, "malformed"},
		{"claims not an object", oidctest.SignWith(cur, map[string]any{"kid": cur.ID}, nil), nil, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := tt.role
			if role == nil {
				role = prodRole()
			}
			res, err := f.v.Validate(context.Background(), "prod", role, tt.jwt)
			if err == nil {
				t.Fatalf("accepted: %v", res.Meta)
			}
			if !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("error %v does not match ErrInvalidToken", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if len(tt.jwt) > 20 && strings.Contains(err.Error(), tt.jwt[len(tt.jwt)-20:]) {
				t.Errorf("error %q holds part of the token", err)
			}
		})
	}
}

func dupHeader(kid string) string {
	h := `{"alg":"RS256","kid":"` + kid + `","alg":"none"}`
	return oidctest.Forge(nil, nil, nil)[:0] + b64(h) + ".e30.AAAA"
}

func b64(s string) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var out []byte
	b := []byte(s)
	for i := 0; i < len(b); i += 3 {
		var n uint32
		k := 0
		for ; k < 3 && i+k < len(b); k++ {
			n |= uint32(b[i+k]) << (16 - 8*k)
		}
		for j := 0; j <= k; j++ {
			out = append(out, enc[(n>>(18-6*j))&63])
		}
	}
	return string(out)
}

// TestAccepts: the tokens each platform really mints log in, with
// metadata that names the pipeline.
func TestAccepts(t *testing.T) {
	f := newFixture(t, jwtauth.Config{}, jwtauth.FetchOptions{})
	tests := []struct {
		name   string
		claims map[string]any
		role   *jwtauth.Role
		meta   map[string]string
	}{
		{"github prod", f.iss.GitHub(prodJob()), prodRole(), map[string]string{
			"ci_platform": "github", "ci_repository": "acme/api", "ci_repository_id": "74", "ci_ref": "refs/heads/main",
			"ci_workflow": "acme/api/.github/workflows/ci.yml@refs/heads/main", "ci_run_id": "1234567890", "ci_environment": "production", "role": "r"}},
		{"github staging branch", f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Ref: "refs/heads/feature-x"}), stagingRole(), map[string]string{"ci_ref": "refs/heads/feature-x"}},
		{"github staging tag", f.iss.GitHub(oidctest.GitHubJob{Audience: "https://ward.example.com", Ref: "refs/tags/v1.2.3", RefType: "tag"}), stagingRole(), nil},
		{"aud array containing the audience", mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["aud"] = []any{"x", "https://ward.example.com"} }), prodRole(), nil},
		{"expired within leeway", mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["exp"] = f.clock.Now().Unix() - 50 }), prodRole(), nil},
		{"nbf within leeway", mutate(f.iss.GitHub(prodJob()), func(c map[string]any) { c["nbf"] = f.clock.Now().Unix() + 50 }), prodRole(), nil},
		{"gitlab", f.iss.GitLab(oidctest.GitLabJob{Audience: "https://ward.example.com", Environment: "production"}), &jwtauth.Role{
			BoundAudiences: []string{"https://ward.example.com"},
			BoundClaims:    map[string]any{"project_id": "22", "ref": "main", "ref_protected": "true", "environment": "production"},
			ClaimMappings:  map[string]string{"user_login": "gitlab_user"},
			TokenPolicies:  []string{"deploy"}, Environment: "prod",
		}, map[string]string{"ci_platform": "gitlab", "ci_repository": "acme/api", "ci_run_id": "1212", "ci_job_id": "1212", "ci_ref": "main", "gitlab_user": "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.role.Check(); err != nil {
				t.Fatal(err)
			}
			res, err := f.v.Validate(context.Background(), "r", tt.role, f.iss.Sign(tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.meta {
				if res.Meta[k] != want {
					t.Errorf("meta %s = %q, want %q", k, res.Meta[k], want)
				}
			}
			if res.User != tt.claims["sub"] {
				t.Errorf("user %q", res.User)
			}
		})
	}
}

// TestKeyTypes: each allowed algorithm verifies with its key type.
func TestKeyTypes(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, jwtauth.Config{}, jwtauth.FetchOptions{})
			f.iss.Rotate(alg)
			f.iss.Retire()
			if _, err := f.v.Validate(context.Background(), "p", prodRole(), f.iss.Sign(f.iss.GitHub(prodJob()))); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStaticKeys: jwt_validation_pubkeys verify without any fetch.
func TestStaticKeys(t *testing.T) {
	iss := oidctest.New()
	defer iss.Close()
	v, err := jwtauth.NewValidator(jwtauth.Config{JWTValidationPubkeys: []string{iss.Current().PublicPEM()}, BoundIssuer: iss.URL}, jwtauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), "p", prodRole(), iss.Sign(iss.GitHub(prodJob()))); err != nil {
		t.Fatal(err)
	}
	other := iss.Rotate(jose.ES256)
	if _, err := v.Validate(context.Background(), "p", prodRole(), iss.Sign(iss.GitHub(prodJob()))); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("token from key %s not configured: %v", other.ID, err)
	}
	if d, j := iss.Hits(); d+j != 0 {
		t.Errorf("static keys fetched: %d %d", d, j)
	}
}

// TestJWKSCache covers the cache: rotation, the refetch interval, issuer
// outages (500, hang, malformed, empty) with a bounded stale copy.
func TestJWKSCache(t *testing.T) {
	ctx := context.Background()
	fo := jwtauth.FetchOptions{RefreshEvery: time.Hour, MinRefetch: 30 * time.Second, MaxStale: time.Hour}
	login := func(f *fixture) error {
		_, err := f.v.Validate(ctx, "p", prodRole(), f.iss.Sign(f.iss.GitHub(prodJob())))
		return err
	}
	t.Run("cached keys serve many logins with one fetch", func(t *testing.T) {
		f := newFixture(t, jwtauth.Config{}, fo)
		for range 20 {
			if err := login(f); err != nil {
				t.Fatal(err)
			}
		}
		if d, j := f.iss.Hits(); d != 1 || j != 1 {
			t.Errorf("fetches: discovery %d, jwks %d; want 1, 1", d, j)
		}
	})
	t.Run("rotation: unknown kid refetches once per interval", func(t *testing.T) {
		f := newFixture(t, jwtauth.Config{}, fo)
		if err := login(f); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(31 * time.Second)
		f.iss.Rotate(jose.RS256)
		if err := login(f); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		_, j := f.iss.Hits()
		// A forged kid right after: no refetch within MinRefetch.
		forged := oidctest.SignWith(&oidctest.Key{ID: "forged", Alg: jose.RS256, Private: f.iss.Current().Private}, map[string]any{"kid": "forged"}, f.iss.GitHub(prodJob()))
		for range 10 {
			if _, err := f.v.Validate(ctx, "p", prodRole(), forged); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("forged kid: %v", err)
			}
		}
		if _, j2 := f.iss.Hits(); j2 != j {
			t.Errorf("forged kids made %d fetches", j2-j)
		}
		// A rotation within the interval is seen only once the interval passes.
		f.iss.Rotate(jose.ES256)
		if err := login(f); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Fatalf("new kid within the interval: %v", err)
		}
		f.clock.Add(30 * time.Second)
		if err := login(f); err != nil {
			t.Fatalf("new kid after the interval: %v", err)
		}
	})
	for _, mode := range []struct {
		name string
		m    oidctest.Mode
	}{{"500", oidctest.Fail500}, {"hang", oidctest.Hang}, {"malformed JSON", oidctest.Malformed}, {"no keys", oidctest.Empty}} {
		t.Run("issuer down from the start: "+mode.name, func(t *testing.T) {
			f := newFixture(t, jwtauth.Config{}, fo)
			f.iss.SetMode(mode.m)
			start := time.Now()
			err := login(f)
			if !errors.Is(err, jwtauth.ErrKeysUnavailable) || errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("got %v, want ErrKeysUnavailable", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("login took %v with a hanging issuer", d)
			}
			// Refused again without hammering the issuer.
			login(f)
			if d, _ := f.iss.Hits(); d != 1 {
				t.Errorf("discovery fetched %d times within the interval", d)
			}
			// The issuer comes back: after the interval, logins work.
			f.iss.SetMode(oidctest.Normal)
			f.clock.Add(30 * time.Second)
			if err := login(f); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("issuer down later, stale copy bounded: "+mode.name, func(t *testing.T) {
			f := newFixture(t, jwtauth.Config{}, fo)
			if err := login(f); err != nil {
				t.Fatal(err)
			}
			f.iss.SetMode(mode.m)
			f.clock.Add(90 * time.Minute) // past fresh, within stale
			if err := login(f); err != nil {
				t.Fatalf("stale copy not used: %v", err)
			}
			f.clock.Add(31 * time.Minute) // past RefreshEvery + MaxStale
			if err := login(f); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
				t.Fatalf("too-old copy used: %v", err)
			}
			f.iss.SetMode(oidctest.Normal)
		})
	}
	t.Run("discovery naming another issuer", func(t *testing.T) {
		f := newFixture(t, jwtauth.Config{}, fo)
		v, err := jwtauth.NewValidator(jwtauth.Config{OIDCDiscoveryURL: f.iss.URL, BoundIssuer: "https://elsewhere.example"}, jwtauth.Options{Now: f.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Validate(ctx, "p", prodRole(), f.iss.Sign(f.iss.GitHub(prodJob())))
		if !errors.Is(err, jwtauth.ErrKeysUnavailable) || !strings.Contains(err.Error(), "not the bound issuer") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("jwks_url", func(t *testing.T) {
		f := newFixture(t, jwtauth.Config{}, fo)
		v, err := jwtauth.NewValidator(jwtauth.Config{JWKSURL: f.iss.JWKSURL(), BoundIssuer: f.iss.URL}, jwtauth.Options{Now: f.clock.Now, Remote: jwtauth.FetchOptions{HTTPClient: &http.Client{}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Validate(ctx, "p", prodRole(), f.iss.Sign(f.iss.GitHub(prodJob()))); err != nil {
			t.Fatal(err)
		}
		if d, j := f.iss.Hits(); d != 0 || j != 1 {
			t.Errorf("fetches: %d %d", d, j)
		}
	})
}

// TestConcurrentLogins: many logins at once with a cold cache make one fetch.
func TestConcurrentLogins(t *testing.T) {
	f := newFixture(t, jwtauth.Config{}, jwtauth.FetchOptions{})
	jwt := f.iss.Sign(f.iss.GitHub(prodJob()))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.v.Validate(context.Background(), "p", prodRole(), jwt); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, j := f.iss.Hits(); j != 1 {
		t.Errorf("%d JWKS fetches", j)
	}
}

// A key set asked for over https is never taken from a redirect to http.
func TestNoRedirectDowngrade(t *testing.T) {
	iss := oidctest.New()
	defer iss.Close()
	tls := httptest.NewTLSServer(http.RedirectHandler(iss.JWKSURL(), http.StatusFound))
	defer tls.Close()
	r := &jwtauth.RemoteKeys{JWKSURL: tls.URL + "/jwks"}
	// The test server's certificate is trusted through its own client's
	// transport; the redirect rule is the default client's.
	orig := http.DefaultTransport
	http.DefaultTransport = tls.Client().Transport
	defer func() { http.DefaultTransport = orig }()
	_, err := r.Keys(context.Background(), "")
	if !errors.Is(err, jwtauth.ErrKeysUnavailable) || !strings.Contains(err.Error(), "from https to http is refused") {
		t.Fatalf("got %v", err)
	}
}

// A JWKS keeps only usable public signing keys: a symmetric key (which
// would turn the set into an HMAC secret), an encryption key, a key of an
// unknown type and a small RSA key are skipped, and do not take the good key
// down with them.
func TestJWKSKeepsOnlyPublicSigningKeys(t *testing.T) {
	iss := oidctest.New()
	defer iss.Close()
	good, err := json.Marshal(jose.JSONWebKey{Key: iss.Current().Public(), KeyID: "good", Algorithm: "RS256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallJWK, _ := json.Marshal(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small"})
	enc, _ := json.Marshal(jose.JSONWebKey{Key: iss.Current().Public(), KeyID: "enc", Use: "enc"})
	set := `{"keys":[{"kty":"oct","kid":"oct","k":"c2VjcmV0"},{"kty":"ML-DSA","kid":"pq"},` + string(smallJWK) + `,` + string(enc) + `,` + string(good) + `]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(set)) }))
	defer srv.Close()
	r := &jwtauth.RemoteKeys{JWKSURL: srv.URL}
	keys, err := r.Keys(context.Background(), "")
	if err != nil || len(keys) != 1 || keys[0].ID != "good" {
		t.Fatalf("keys %+v, %v; want only the good one", keys, err)
	}
	for _, kid := range []string{"oct", "small", "enc"} {
		if _, err := r.Keys(context.Background(), kid); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Errorf("kid %s: %v", kid, err)
		}
	}
}
