package userpass

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are stored with every hash,
// so raising them later leaves older hashes verifiable.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32 // bytes of hash
	SaltLen uint32 // bytes of salt
}

// DefaultParams follow OWASP's argon2id recommendation (19 MiB, 2 passes,
// 1 lane): about 20 ms a hash on one core of a current machine.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// MaxPasswordLen bounds a password, in bytes.
const MaxPasswordLen = 1024

// Hasher derives a password hash. The Authenticator calls it exactly once
// per login attempt that is not locked out, whether the user exists or not;
// tests count the calls to prove it.
type Hasher interface {
	Hash(password, salt []byte, p Params) []byte
}

// Argon2id is the Hasher ward uses.
type Argon2id struct{}

var _ Hasher = Argon2id{}

// Hash returns argon2id(password, salt) under p.
func (Argon2id) Hash(password, salt []byte, p Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// ErrBadHash is returned for a stored hash that cannot be parsed.
var ErrBadHash = errors.New("userpass: stored password hash is malformed")

// PasswordHash is a salted argon2id hash with the parameters that made it,
// stored in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH (unpadded base64).
type PasswordHash struct {
	Params Params
	Salt   []byte
	Hash   []byte
}

// NewHash hashes password with a fresh salt from rnd (nil: crypto/rand).
func NewHash(h Hasher, rnd io.Reader, password string, p Params) (*PasswordHash, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return nil, err
	}
	return &PasswordHash{Params: p, Salt: salt, Hash: h.Hash([]byte(password), salt, p)}, nil
}

// Matches reports whether password hashes to ph, comparing in constant time.
func (ph *PasswordHash) Matches(h Hasher, password string) bool {
	got := h.Hash([]byte(password), ph.Salt, ph.Params)
	return subtle.ConstantTimeCompare(got, ph.Hash) == 1
}

// String encodes ph in the PHC string format.
func (ph *PasswordHash) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		ph.Params.Memory, ph.Params.Time, ph.Params.Threads, b64.EncodeToString(ph.Salt), b64.EncodeToString(ph.Hash))
}

// ParseHash decodes a PHC string made by String.
func ParseHash(s string) (*PasswordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version || parts[2] != fmt.Sprintf("v=%d", version) {
		return nil, ErrBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) {
		return nil, ErrBadHash
	}
	// Bounds keep a changed record from costing more than 1 GiB or 64
	// passes a login.
	if p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<20 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return nil, ErrBadHash
	}
	hash, err := b64.DecodeString(parts[5])
	if err != nil || len(hash) < 16 {
		return nil, ErrBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(hash))
	return &PasswordHash{Params: p, Salt: salt, Hash: hash}, nil
}

// checkPassword refuses a password that cannot be one. It never quotes it.
func checkPassword(pw string) error {
	switch {
	case pw == "":
		return &RequestError{Field: "password", Problem: "empty"}
	case len(pw) > MaxPasswordLen:
		return &RequestError{Field: "password", Problem: fmt.Sprintf("longer than %d bytes", MaxPasswordLen)}
	case len(pw) < MinPasswordLen:
		return &RequestError{Field: "password", Problem: fmt.Sprintf("shorter than %d characters; choose a longer one", MinPasswordLen)}
	}
	return nil
}

// MinPasswordLen is the shortest password a user may be given, in bytes.
const MinPasswordLen = 8
