// Package generate makes the next value of a secret when it rotates: a
// fresh value that satisfies the secret's type, with the fields that are not
// secret (a user name, an endpoint, an algorithm) carried over from the
// current version. Most callers need two calls:
//
//	g := generate.New(generate.Config{})          // crypto/rand
//	next, err := g.Next(typ, current)             // checked against typ; ErrNoGenerator: needs a person
//
// and the type-write path calls CheckType before it stores a custom type.
//
// # What is generated
//
//   - password: a new "password" (letters and digits, 32 long, within the
//     type's length rules); "username" is kept.
//   - api-token: a new "token" (printable ASCII, within the type's length
//     and pattern); "header" and "endpoint" are kept.
//   - jwt-signing-key: a new "key" for the same "algorithm" (64 random
//     bytes, base64url, for HS*; a PKCS #8 PEM key of the algorithm's family
//     otherwise: RSA 3072 for RS*/PS*, the algorithm's curve for ES*,
//     Ed25519 for EdDSA) and a new "kid", so verifiers can hold the old and
//     the new key side by side during the overlap.
//   - a custom type: every top-level string property marked
//     "x-ward-generate": true (see below).
//
// Every other type has no generator: Next returns ErrNoGenerator and the
// rotation becomes a reminder to the secret's owner.
//
// # x-ward-generate
//
// A custom type opts into rotation by marking top-level properties:
//
//	{"type": "object", "required": ["client_id", "client_secret"],
//	 "properties": {
//	   "client_id":     {"type": "string", "x-ward-sensitive": false},
//	   "client_secret": {"type": "string", "minLength": 40, "pattern": "^cs_[A-Za-z0-9]+$",
//	                     "x-ward-generate": true}}}
//
// A marked property must be a string; its new value honours its
// minLength, maxLength, pattern (walked as an automaton by package
// pattern), enum and format (PEM keys and certificates are made fresh).
// Unmarked properties are carried over from the current version. CheckType
// refuses a type whose marks are misplaced, or whose generator cannot
// make a value its own schema accepts (a pattern no value within the
// length bounds matches, say), so such a type is never stored.
//
// # Randomness
//
// Every random choice reads Config.Rand (crypto/rand by default), through
// package synth's value maker; synthetic values for tests come from the
// same code with a different source. Asymmetric keys are made by Go's
// crypto packages, which draw from crypto/rand whatever reader they are
// given. A value is never returned in an error.
package generate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	crand "crypto/rand"
	"crypto/sha256"

	"github.com/wardhq/ward/internal/codegen"
	"github.com/wardhq/ward/internal/synth"
	"github.com/wardhq/ward/internal/types"
)

// Keyword is the schema keyword that marks a generated property.
const Keyword = "x-ward-generate"

// ErrNoGenerator is returned by Next for a type ward cannot make values
// of: rotating such a secret needs a person.
var ErrNoGenerator = errors.New("the type has no generator")

// ErrBadRandom is wrapped when the random source failed or repeated
// itself (the new value equals the current one).
var ErrBadRandom = errors.New("the random source failed")

// Config says where randomness and time come from. Zero values are the
// real thing.
type Config struct {
	Rand io.Reader        // nil: crypto/rand.Reader
	Now  func() time.Time // nil: time.Now (certificates' validity)
}

// Generator makes new values. It is safe for concurrent use.
type Generator struct {
	cfg Config
	mu  sync.Mutex // serialises reads of cfg.Rand, which need not be safe

	schemas sync.Map // sha256 of name and source → *codegen.Schema: one per schema, however often it is compiled
}

// New returns a Generator.
func New(cfg Config) *Generator {
	if cfg.Rand == nil {
		cfg.Rand = crand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Generator{cfg: cfg}
}

// builtinFields are the fields the built-in types generate.
var builtinFields = map[string][]string{
	"password":  {"password"},
	"api-token": {"token"},
}

// Fields lists the fields a rotation of typ makes anew, sorted; nil when
// typ has no generator.
func Fields(typ *types.Type) []string {
	if typ == nil {
		return nil
	}
	if types.IsBuiltin(typ.Name()) {
		if typ.Name() == jwtType {
			return []string{"key", "kid"}
		}
		return builtinFields[typ.Name()]
	}
	marked, _ := markedFields(typ.Source())
	return marked
}

// CanGenerate reports whether Next can make values of typ.
func CanGenerate(typ *types.Type) bool { return len(Fields(typ)) > 0 }

// Next returns a new value of typ: the generated fields made anew, every
// other field copied from current (which may be nil for a first value of
// a type that needs nothing else), checked with typ.Validate. It returns
// ErrNoGenerator for a type without a generator, a *types.ValidationError
// when current's other fields do not fit the type, and an error wrapping
// ErrBadRandom when the random source fails or repeats a current value.
func (g *Generator) Next(typ *types.Type, current map[string]any) (map[string]any, error) {
	fields := Fields(typ)
	if len(fields) == 0 {
		return nil, fmt.Errorf("type %s: %w", typ.Name(), ErrNoGenerator)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	src := &readerSource{r: g.cfg.Rand}
	var next map[string]any
	var err error
	if typ.Name() == jwtType && slices.Equal(fields, []string{"key", "kid"}) {
		next, err = g.jwt(src, current)
	} else {
		next, err = g.fromSchema(src, typ, fields, current)
	}
	if src.err != nil {
		return nil, fmt.Errorf("type %s: %w: %v", typ.Name(), ErrBadRandom, src.err)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if old, ok := current[f]; ok && old == next[f] {
			return nil, fmt.Errorf("type %s, field %q: %w: the new value equals the current one", typ.Name(), f, ErrBadRandom)
		}
	}
	if err := typ.Validate("rotation", typ.Name(), next); err != nil {
		return nil, err
	}
	return next, nil
}

// fromSchema makes the generated fields with package synth and merges
// them with current.
func (g *Generator) fromSchema(src *readerSource, typ *types.Type, fields []string, current map[string]any) (map[string]any, error) {
	sy := synth.New(synth.Config{Rand: rand.New(src), Now: g.cfg.Now})
	parsed, err := g.parsed(typ)
	if err != nil {
		return nil, err
	}
	var last error
	for range maxTries {
		v, err := sy.ValueOf(typ, parsed, fields...)
		if err != nil {
			return nil, err
		}
		next := merge(current, v, fields)
		if last = typ.Validate("rotation", typ.Name(), next); last == nil {
			return next, nil
		}
		if src.err != nil {
			return nil, nil
		}
	}
	return nil, last
}

// parsed returns typ's schema as package synth reads it, parsed once
// per type.
func (g *Generator) parsed(typ *types.Type) (*codegen.Schema, error) {
	k := sha256.Sum256(append([]byte(typ.Name()+"\x00"), typ.Source()...))
	if s, ok := g.schemas.Load(k); ok {
		return s.(*codegen.Schema), nil
	}
	s, err := codegen.ParseSchema(typ.Name(), typ.Source())
	if err != nil {
		return nil, err
	}
	g.schemas.Store(k, s)
	return s, nil
}

// maxTries bounds the attempts at a value whose generated fields fit
// the current ones (a conditional schema can tie them together).
const maxTries = 20

// merge is current with fields taken from made.
func merge(current, made map[string]any, fields []string) map[string]any {
	out := make(map[string]any, len(current)+len(fields))
	for k, v := range current {
		out[k] = v
	}
	for _, f := range fields {
		out[f] = made[f]
	}
	return out
}

// readerSource is a math/rand/v2 Source that reads r; the first error
// is kept in err, for the caller to check when the value is made. After
// an error it returns a counter (never used in a value: Next fails), so
// that rejection sampling ends.
type readerSource struct {
	r   io.Reader
	err error
	n   uint64
	buf [8]byte
}

func (s *readerSource) Uint64() uint64 {
	if s.err == nil {
		if _, err := io.ReadFull(s.r, s.buf[:]); err == nil {
			return binary.LittleEndian.Uint64(s.buf[:])
		} else {
			s.err = err
		}
	}
	s.n += 0x9e3779b97f4a7c15
	return s.n
}

// markedFields lists the top-level properties a schema marks with
// Keyword: true, sorted.
func markedFields(src []byte) ([]string, error) {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	var out []string
	for name, raw := range doc.Properties {
		var p map[string]any
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		if v, _ := p[Keyword].(bool); v {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Read makes readerSource an io.Reader for the key makers.
func (s *readerSource) Read(p []byte) (int, error) {
	s.read(p)
	if s.err != nil {
		return 0, s.err
	}
	return len(p), nil
}

func (s *readerSource) read(p []byte) {
	if s.err != nil {
		clear(p)
		return
	}
	if _, err := io.ReadFull(s.r, p); err != nil {
		s.err = err
		clear(p)
	}
}
