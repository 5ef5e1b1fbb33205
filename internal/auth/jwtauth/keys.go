package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is one public key an issuer signs with.
type Key struct {
	ID        string // kid; "" if the key has none
	Algorithm string // the alg the key is pinned to; "" for any allowed with its type
	Public    any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// allows reports whether the key may verify a signature made with alg.
func (k Key) allows(alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	for _, a := range algsForKey(k.Public) {
		if a == alg {
			return true
		}
	}
	return false
}

// KeySource gives the keys that may have signed a token. Implementations
// are safe for concurrent use.
type KeySource interface {
	// Keys returns the keys with ID kid, or every key when kid is "". It
	// returns an error wrapping ErrInvalidToken when no key has that ID,
	// and one wrapping ErrKeysUnavailable when the keys cannot be had.
	Keys(ctx context.Context, kid string) ([]Key, error)
}

// StaticKeys is a fixed set of keys, from jwt_validation_pubkeys.
type StaticKeys []Key

var _ KeySource = StaticKeys(nil)

// Keys implements KeySource.
func (s StaticKeys) Keys(_ context.Context, kid string) ([]Key, error) {
	if kid == "" {
		return s, nil
	}
	// A PEM key has no ID: a token naming one is checked against all.
	var out []Key
	for _, k := range s {
		if k.ID == kid || k.ID == "" {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, reject("no configured key has the token's key ID")
	}
	return out, nil
}

// RemoteKeys fetches an issuer's JWKS, directly or through OIDC discovery,
// and caches it. Its zero durations take the defaults named beside them.
//
// A fetched key set is fresh for RefreshEvery. A token whose kid is not in
// the set triggers a refetch, at most once per MinRefetch (however many
// tokens ask, so forged kids cannot make ward hammer the issuer). When a
// refresh fails, the last good set is used until it is MaxStale past its
// freshness, and then logins fail with ErrKeysUnavailable: ward never
// accepts a token it could not verify. Each fetch gives up after
// FetchTimeout, so a hanging issuer delays logins by that much at most.
type RemoteKeys struct {
	JWKSURL      string // the JWKS, or "" to find it by discovery
	DiscoveryURL string // the issuer URL, for OIDC discovery
	// Issuer, with discovery, is what the discovery document's issuer
	// must equal.
	Issuer string
	FetchOptions

	fetchMu sync.Mutex // serialises fetches

	mu          sync.RWMutex
	set         []Key     // guarded by mu; nil before the first good fetch
	fetchedAt   time.Time // guarded by mu; when set was fetched
	lastAttempt time.Time // guarded by mu
	lastErr     error     // guarded by mu; why the last attempt failed
	fetches     int       // guarded by mu; attempts made, for tests
}

var _ KeySource = (*RemoteKeys)(nil)

// FetchOptions tune how RemoteKeys fetches and caches. Zero values take
// the defaults named beside them.
type FetchOptions struct {
	HTTPClient   *http.Client     // nil: one that follows 3 redirects at most, never from https to http
	Now          func() time.Time // nil: time.Now
	FetchTimeout time.Duration    // 10 s
	RefreshEvery time.Duration    // 1 h
	MinRefetch   time.Duration    // 30 s
	MaxStale     time.Duration    // 1 h
}

// defaultHTTPClient fetches keys: FetchTimeout bounds each fetch, and a
// redirect may not leave https, so a key set asked for over TLS never comes
// back over plain HTTP.
var defaultHTTPClient = &http.Client{
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("a redirect from https to " + req.URL.Scheme + " is refused")
		}
		return nil
	},
}

// maxKeysBytes bounds a discovery document or a JWKS.
const maxKeysBytes = 1 << 20

func (r *RemoteKeys) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Fetches reports how many fetches r has attempted.
func (r *RemoteKeys) Fetches() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.fetches
}

// Keys implements KeySource.
func (r *RemoteKeys) Keys(ctx context.Context, kid string) ([]Key, error) {
	now := r.now()
	r.mu.RLock()
	set, fetchedAt := r.set, r.fetchedAt
	r.mu.RUnlock()
	if set != nil && now.Before(fetchedAt.Add(orDefault(r.RefreshEvery, time.Hour))) {
		if keys := findKeys(set, kid); len(keys) > 0 {
			return keys, nil
		}
	}
	return r.slow(ctx, kid)
}

// slow refetches when the rules allow it, then answers from what it has.
func (r *RemoteKeys) slow(ctx context.Context, kid string) ([]Key, error) {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	now := r.now()
	refresh := orDefault(r.RefreshEvery, time.Hour)
	r.mu.RLock()
	set, fetchedAt, last := r.set, r.fetchedAt, r.lastAttempt
	r.mu.RUnlock()
	fresh := set != nil && now.Before(fetchedAt.Add(refresh))
	if fresh {
		if keys := findKeys(set, kid); len(keys) > 0 {
			return keys, nil // another caller has just refetched
		}
	}
	if last.IsZero() || now.Sub(last) >= orDefault(r.MinRefetch, 30*time.Second) {
		got, err := r.fetch(ctx)
		r.mu.Lock()
		r.lastAttempt, r.fetches = now, r.fetches+1
		if err == nil {
			r.set, r.fetchedAt, r.lastErr = got, now, nil
		} else {
			r.lastErr = err
		}
		set, fetchedAt = r.set, r.fetchedAt
		r.mu.Unlock()
	}
	r.mu.RLock()
	lastErr := r.lastErr
	r.mu.RUnlock()
	switch {
	case set == nil && lastErr != nil:
		return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, lastErr)
	case set == nil:
		return nil, ErrKeysUnavailable
	case !now.Before(fetchedAt.Add(refresh + orDefault(r.MaxStale, time.Hour))):
		return nil, fmt.Errorf("%w: the cached keys are too old to use and refreshing them failed: %v", ErrKeysUnavailable, lastErr)
	}
	keys := findKeys(set, kid)
	if len(keys) == 0 {
		return nil, reject("the issuer has no key with the token's key ID (kid)")
	}
	return keys, nil
}

func findKeys(set []Key, kid string) []Key {
	if kid == "" {
		return set
	}
	for i, k := range set {
		if k.ID == kid {
			return set[i : i+1]
		}
	}
	return nil
}

// fetch gets the key set, through discovery when JWKSURL is empty.
func (r *RemoteKeys) fetch(ctx context.Context) ([]Key, error) {
	ctx, cancel := context.WithTimeout(ctx, orDefault(r.FetchTimeout, 10*time.Second))
	defer cancel()
	jwksURL := r.JWKSURL
	if jwksURL == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		u := strings.TrimRight(r.DiscoveryURL, "/") + "/.well-known/openid-configuration"
		if err := r.getJSON(ctx, u, &doc); err != nil {
			return nil, fmt.Errorf("OIDC discovery: %w", err)
		}
		if doc.Issuer != r.Issuer {
			return nil, fmt.Errorf("OIDC discovery: the document's issuer %q is not the bound issuer %q", doc.Issuer, r.Issuer)
		}
		if err := checkURL(doc.JWKSURI); err != nil {
			return nil, fmt.Errorf("OIDC discovery: jwks_uri: %v", err)
		}
		jwksURL = doc.JWKSURI
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := r.getJSON(ctx, jwksURL, &raw); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	keys := parseJWKS(raw.Keys)
	if len(keys) == 0 {
		return nil, errors.New("JWKS: no usable public signing key in the set")
	}
	return keys, nil
}

// parseJWKS keeps the usable public signing keys of a set and skips the
// rest (symmetric keys, private keys, unknown types, encryption keys), so
// that one odd key does not take the issuer's others down with it.
func parseJWKS(raw []json.RawMessage) []Key {
	var out []Key
	for _, r := range raw {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			continue
		}
		if !k.IsPublic() || (k.Use != "" && k.Use != "sig") || len(algsForKey(k.Key)) == 0 {
			continue
		}
		if k.Algorithm != "" && !(Key{Public: k.Key}).allows(k.Algorithm) {
			continue
		}
		out = append(out, Key{ID: k.KeyID, Algorithm: k.Algorithm, Public: k.Key})
	}
	return out
}

func (r *RemoteKeys) getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	hc := r.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s did not answer in time", u)
		}
		return fmt.Errorf("GET %s failed: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s did not answer in time", u)
		}
		return fmt.Errorf("reading %s: %v", u, err)
	}
	if len(b) > maxKeysBytes {
		return fmt.Errorf("%s is larger than %d bytes", u, maxKeysBytes)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s is not valid JSON", u)
	}
	return nil
}
