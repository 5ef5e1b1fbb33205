// Package oidctest runs a local OpenID Connect issuer for tests: a real
// HTTP server with a discovery document and a JWKS, keys that rotate, and
// switches that make it fail the ways real issuers fail. It mints tokens
// with the claim sets GitHub Actions and GitLab CI document.
//
//	iss := oidctest.New()
//	defer iss.Close()
//	jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Repository: "acme/api", Audience: "ward"}))
//
// Tests and benchmarks only: it signs whatever it is given.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Mode is how the issuer answers discovery and JWKS requests.
type Mode int

// The issuer's modes.
const (
	Normal    Mode = iota // serve the documents
	Fail500               // answer 500
	Hang                  // never answer, until Close or SetMode
	Malformed             // answer 200 with a body that is not JSON
	Empty                 // answer a JWKS with no keys
)

// Key is a signing key the issuer holds.
type Key struct {
	ID      string
	Alg     jose.SignatureAlgorithm
	Private crypto.Signer
}

// Public is the key's public half.
func (k *Key) Public() crypto.PublicKey { return k.Private.Public() }

// PublicPEM is the key's public half as a PEM PUBLIC KEY block.
func (k *Key) PublicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Issuer is a running local issuer. Its methods are safe for concurrent use.
type Issuer struct {
	// URL is the issuer: the iss of its tokens and the base of discovery.
	URL string
	// Now is the clock for minted claims; nil means time.Now.
	Now func() time.Time

	srv       *httptest.Server
	hang      chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	mode      Mode   // guarded by mu
	keys      []*Key // guarded by mu; published, the first signs
	nextID    int    // guarded by mu
	hangWake  chan struct{}
	discovery atomic.Int64
	jwks      atomic.Int64
}

// New starts an issuer with one RS256 key.
func New() *Issuer {
	i := &Issuer{hang: make(chan struct{}), hangWake: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("/jwks", i.serveJWKS)
	i.srv = httptest.NewServer(mux)
	i.URL = i.srv.URL
	i.Rotate(jose.RS256)
	return i
}

// Close stops the server, releasing hung requests.
func (i *Issuer) Close() {
	i.closeOnce.Do(func() { close(i.hang) })
	i.srv.CloseClientConnections()
	i.srv.Close()
}

// JWKSURL is the URL of the issuer's key set.
func (i *Issuer) JWKSURL() string { return i.URL + "/jwks" }

// SetMode switches how the issuer answers; leaving Hang releases the
// requests it holds.
func (i *Issuer) SetMode(m Mode) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.mode == Hang && m != Hang {
		close(i.hangWake)
		i.hangWake = make(chan struct{})
	}
	i.mode = m
}

// Hits reports how many discovery and JWKS requests the issuer has had.
func (i *Issuer) Hits() (discovery, jwks int) {
	return int(i.discovery.Load()), int(i.jwks.Load())
}

// NewKey makes a key for alg (RS256/384/512, PS256/384/512, ES256, ES384,
// EdDSA) with a fresh ID, without publishing it.
func (i *Issuer) NewKey(alg jose.SignatureAlgorithm) *Key {
	i.mu.Lock()
	i.nextID++
	id := fmt.Sprintf("key-%d", i.nextID)
	i.mu.Unlock()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic("oidctest: no key type for " + string(alg))
	}
	if err != nil {
		panic(err)
	}
	return &Key{ID: id, Alg: alg, Private: priv}
}

// Rotate publishes a new key for alg, which signs from now on; the old
// keys stay published, as real issuers keep them for a while.
func (i *Issuer) Rotate(alg jose.SignatureAlgorithm) *Key {
	k := i.NewKey(alg)
	i.mu.Lock()
	i.keys = append([]*Key{k}, i.keys...)
	i.mu.Unlock()
	return k
}

// Retire unpublishes every key but the current one.
func (i *Issuer) Retire() {
	i.mu.Lock()
	i.keys = i.keys[:1]
	i.mu.Unlock()
}

// Current is the key that signs.
func (i *Issuer) Current() *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[0]
}

func (i *Issuer) wait(w http.ResponseWriter, r *http.Request) bool {
	i.mu.Lock()
	mode, wake := i.mode, i.hangWake
	i.mu.Unlock()
	switch mode {
	case Hang:
		select {
		case <-i.hang:
		case <-wake:
		case <-r.Context().Done():
		}
		return false
	case Fail500:
		http.Error(w, "issuer unavailable", http.StatusInternalServerError)
		return false
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"keys": [ {"kty": "RSA", "n": `))
		return false
	}
	return true
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	i.discovery.Add(1)
	if !i.wait(w, r) {
		return
	}
	writeJSON(w, map[string]any{
		"issuer":                                i.URL,
		"jwks_uri":                              i.JWKSURL(),
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"id_token"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_id", "run_id"},
	})
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.jwks.Add(1)
	if !i.wait(w, r) {
		return
	}
	i.mu.Lock()
	mode := i.mode
	var set jose.JSONWebKeySet
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"})
	}
	i.mu.Unlock()
	if mode == Empty {
		set.Keys = nil
	}
	writeJSON(w, set)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Sign signs claims with the current key, header {alg, kid, typ: JWT}.
func (i *Issuer) Sign(claims map[string]any) string {
	k := i.Current()
	return SignWith(k, map[string]any{"typ": "JWT", "kid": k.ID}, claims)
}

// SignWith signs claims with k, with extra header members (alg is k's).
func SignWith(k *Key, header, claims map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for name, v := range header {
		if name == "typ" {
			continue
		}
		opts = opts.WithHeader(jose.HeaderKey(name), v)
	}
	if t, ok := header["typ"].(string); ok {
		opts = opts.WithType(jose.ContentType(t))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Private}, opts)
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// Forge assembles a JWT from a header, claims and a signature function over
// the signing input, as an attacker would: for alg none, HS256 with the
// issuer's public key as secret, and other tokens no honest library makes.
func Forge(header, claims map[string]any, sign func(input []byte) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
