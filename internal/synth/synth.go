// Package synth makes synthetic secrets: values that satisfy a type (its
// required fields, lengths, ranges, enums, formats and patterns) but are
// random, so that dev and test environments never hold real data.
//
//	g := synth.New(synth.Config{})                 // real randomness
//	v, err := g.Value("postgres", schemaSource)    // map[string]any, checked against the type
//
// Patterns are generated from their DFA (package pattern); PEM formats get
// freshly made keys and self-signed certificates, a TLS pair a matching
// one. Every value is validated with the server's own validator before it
// is returned. A synthetic secret is marked in its metadata with
// MetadataKey, so that `ward check` can refuse one in production.
package synth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wardhq/ward/internal/codegen"
	"github.com/wardhq/ward/internal/types"
)

// MetadataKey is the custom metadata key that marks a synthetic secret;
// its value is "true".
const MetadataKey = "synthetic"

// Config is where randomness and time come from.
type Config struct {
	Rand *rand.Rand       // nil: seeded from crypto/rand
	Now  func() time.Time // nil: time.Now; certificates' validity starts here
}

// Generator makes synthetic values. It is not safe for concurrent use.
type Generator struct {
	rng *rand.Rand
	now func() time.Time
}

// New returns a Generator.
func New(cfg Config) *Generator {
	g := &Generator{rng: cfg.Rand, now: cfg.Now}
	if g.rng == nil {
		var seed [32]byte
		crand.Read(seed[:])
		g.rng = rand.New(rand.NewChaCha8(seed))
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g
}

// ErrUnsatisfiable is wrapped when no value of a type could be made.
var ErrUnsatisfiable = errors.New("could not make a value that satisfies the type")

// maxTries bounds the attempts at one value.
const maxTries = 50

// Value returns a synthetic secret of type name, whose schema src returns,
// checked against that schema by the server's validator. The fields named
// in want are always present (optional ones are otherwise left out at
// random).
func (g *Generator) Value(name string, src codegen.TypeSource, want ...string) (map[string]any, error) {
	schema, err := src(name)
	if err != nil {
		return nil, err
	}
	typ, err := types.Compile(name, schema)
	if err != nil {
		return nil, err
	}
	s, err := codegen.ParseSchema(name, schema)
	if err != nil {
		return nil, err
	}
	return g.ValueOf(typ, s, want...)
}

// ValueOf is Value for a type already compiled (typ) and parsed (s, from
// codegen.ParseSchema of the same source): for callers that make many
// values of one type.
func (g *Generator) ValueOf(typ *types.Type, s *codegen.Schema, want ...string) (map[string]any, error) {
	name := typ.Name()
	var last error
	for range maxTries {
		v, err := g.object(s, want)
		if err != nil {
			return nil, fmt.Errorf("type %s: %w", name, err)
		}
		if last = typ.Validate("synthetic", name, v); last == nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("type %s: %w: %v", name, ErrUnsatisfiable, last)
}

// Fields returns a synthetic secret with the given fields, each a random
// string, for a secret whose type is not known.
func (g *Generator) Fields(fields []string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		out[f] = g.randomString(32)
	}
	if len(out) == 0 {
		out["value"] = g.randomString(32)
	}
	return out
}

func (g *Generator) object(s *codegen.Schema, want []string) (map[string]any, error) {
	obj := map[string]any{}
	var key *ecdsa.PrivateKey // one key per object: a TLS pair must match
	for _, p := range s.Props {
		if !required(s, p.Name) && !contains(want, p.Name) && g.rng.IntN(2) == 0 {
			continue
		}
		v, err := g.value(p.Schema, &key)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", p.Name, err)
		}
		obj[p.Name] = v
	}
	if s.If != nil {
		branch := s.Else
		if accepts(s.If, obj) {
			branch = s.Then
		}
		if branch != nil {
			for _, bp := range branch.Props {
				if _, ok := obj[bp.Name]; !ok {
					continue
				}
				v, err := g.value(merge(s.Prop(bp.Name), bp.Schema), &key)
				if err != nil {
					return nil, fmt.Errorf("field %q: %w", bp.Name, err)
				}
				obj[bp.Name] = v
			}
		}
	}
	return obj, nil
}

func required(s *codegen.Schema, name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// merge is a property's schema with a conditional branch's rules added.
func merge(base, extra *codegen.Schema) *codegen.Schema {
	if base == nil {
		return extra
	}
	m := *base
	if extra.MinLength > m.MinLength {
		m.MinLength = extra.MinLength
	}
	if extra.MaxLength >= 0 && (m.MaxLength < 0 || extra.MaxLength < m.MaxLength) {
		m.MaxLength = extra.MaxLength
	}
	if extra.DFA != nil {
		m.Pattern, m.DFA = extra.Pattern, extra.DFA
	}
	if extra.Format != "" {
		m.Format = extra.Format
	}
	if extra.Enum != nil {
		m.Enum = extra.Enum
	}
	return &m
}

func (g *Generator) value(s *codegen.Schema, key **ecdsa.PrivateKey) (any, error) {
	switch {
	case s.Const != nil:
		return *s.Const, nil
	case s.Enum != nil:
		return s.Enum[g.rng.IntN(len(s.Enum))], nil
	}
	switch s.Kind() {
	case "integer":
		return g.integer(s)
	case "number":
		lo := bound(s.Minimum, s.ExclusiveMinimum, 0)
		hi := bound(s.Maximum, s.ExclusiveMaximum, lo+1000)
		return lo + g.rng.Float64()*(hi-lo), nil
	case "boolean":
		return g.rng.IntN(2) == 0, nil
	case "string":
		return g.str(s, key)
	}
	return nil, fmt.Errorf("no synthetic value for a field of types %v", s.Types)
}

func bound(incl, excl string, def float64) float64 {
	for _, b := range []string{incl, excl} {
		if r, ok := new(big.Rat).SetString(b); ok && b != "" {
			f, _ := r.Float64()
			return f
		}
	}
	return def
}

func (g *Generator) integer(s *codegen.Schema) (any, error) {
	lo, hi := big.NewInt(1), big.NewInt(1000)
	set := func(dst *big.Int, b string, delta int64) {
		if r, ok := new(big.Rat).SetString(b); ok && b != "" {
			q := new(big.Int).Quo(r.Num(), r.Denom())
			dst.Add(q, big.NewInt(delta))
		}
	}
	set(lo, s.ExclusiveMinimum, 1)
	set(lo, s.Minimum, 0)
	if s.Maximum == "" && s.ExclusiveMaximum == "" {
		hi.Add(lo, big.NewInt(1000))
	}
	set(hi, s.ExclusiveMaximum, -1)
	set(hi, s.Maximum, 0)
	span := new(big.Int).Sub(hi, lo)
	if span.Sign() < 0 {
		return nil, fmt.Errorf("%w: the range is empty", ErrUnsatisfiable)
	}
	span.Add(span, big.NewInt(1))
	var n *big.Int
	if span.IsInt64() {
		n = big.NewInt(g.rng.Int64N(span.Int64()))
	} else {
		n = big.NewInt(g.rng.Int64())
	}
	return n.Add(n, lo).Int64(), nil
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *Generator) randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

// wantLength picks a length within a string schema's bounds, about 32.
func wantLength(s *codegen.Schema) int {
	n := 32
	if s.MinLength > n {
		n = s.MinLength
	}
	if s.MaxLength >= 0 && s.MaxLength < n {
		n = s.MaxLength
	}
	return n
}

func (g *Generator) str(s *codegen.Schema, key **ecdsa.PrivateKey) (string, error) {
	if s.Format != "" {
		return g.format(s.Format, key)
	}
	want := wantLength(s)
	if s.DFA == nil {
		return g.randomString(want), nil
	}
	for range maxTries {
		v, err := s.DFA.GenerateAtLeast(g.rng, s.MinLength, want)
		if err != nil {
			return "", err
		}
		n := len([]rune(v))
		if n >= max(s.MinLength, 0) && (s.MaxLength < 0 || n <= s.MaxLength) {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: no value of the pattern %s has a length in the schema's bounds", ErrUnsatisfiable, s.Pattern)
}

func (g *Generator) format(f string, key **ecdsa.PrivateKey) (string, error) {
	switch f {
	case "uri":
		return "https://synthetic.invalid/" + strings.ToLower(g.randomString(12)), nil
	case "ward-url-with-credentials":
		return "https://synthetic:" + g.randomString(24) + "@synthetic.invalid/", nil
	case "ward-pem-private-key":
		k, err := g.key(key)
		if err != nil {
			return "", err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
	case "ward-pem-certificate-chain":
		k, err := g.key(key)
		if err != nil {
			return "", err
		}
		now := g.now()
		tpl := &x509.Certificate{
			SerialNumber: big.NewInt(g.rng.Int64()),
			Subject:      pkix.Name{CommonName: "synthetic.invalid", Organization: []string{"ward synthetic"}},
			DNSNames:     []string{"synthetic.invalid"},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(90 * 24 * time.Hour),
		}
		der, err := x509.CreateCertificate(crand.Reader, tpl, tpl, &k.PublicKey, k)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
	case "ward-ssh-private-key":
		_, k, err := ed25519.GenerateKey(crand.Reader)
		if err != nil {
			return "", err
		}
		b, err := ssh.MarshalPrivateKey(k, "ward synthetic")
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(b)), nil
	}
	return "", fmt.Errorf("no synthetic value for format %q", f)
}

func (g *Generator) key(key **ecdsa.PrivateKey) (*ecdsa.PrivateKey, error) {
	if *key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
		if err != nil {
			return nil, err
		}
		*key = k
	}
	return *key, nil
}

// accepts is a small check of a conditional's "if" against obj: the rules
// such conditions use (required, types, enums, consts, patterns, lengths).
func accepts(s *codegen.Schema, v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := v[r]; !ok {
				return false
			}
		}
		for _, p := range s.Props {
			if x, ok := v[p.Name]; ok && !accepts(p.Schema, x) {
				return false
			}
		}
	case string:
		if s.Const != nil && *s.Const != v {
			return false
		}
		if s.Enum != nil && !contains(s.Enum, v) {
			return false
		}
		n := len([]rune(v))
		if n < s.MinLength || s.MaxLength >= 0 && n > s.MaxLength || s.DFA != nil && !s.DFA.MatchString(v) {
			return false
		}
	}
	return true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
