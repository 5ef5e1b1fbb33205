package barrier

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// keyLen is the length of every key: the root key and each term's key.
const keyLen = 32

// termKey is one AES-256 key and its GCM, built once and shared by every
// keyring value that holds the term, with when the term was installed
// (zero: unknown, a keyring of format 1, which did not record it).
type termKey struct {
	key       []byte
	aead      cipher.AEAD
	installed time.Time
}

// newTermKey takes ownership of key.
func newTermKey(key []byte) (*termKey, error) {
	if len(key) != keyLen {
		return nil, fmt.Errorf("barrier: a key is %d bytes, want %d", len(key), keyLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &termKey{key: key, aead: aead}, nil
}

// keyring is an immutable set of keys numbered by term; the highest term is
// active. addTerm returns a new keyring and leaves the old one as it was;
// the two share their termKeys, so zeroize one only when neither is used.
type keyring struct {
	active uint32
	terms  map[uint32]*termKey
}

// rootRing is a keyring holding only the root key, as term 0.
func rootRing(root *termKey) *keyring {
	return &keyring{active: 0, terms: map[uint32]*termKey{0: root}}
}

// addTerm returns a keyring with key as the new active term, installed
// at at. A nil keyring is empty, and its first term is 1. It takes
// ownership of key.
func (r *keyring) addTerm(key []byte, at time.Time) (*keyring, error) {
	tk, err := newTermKey(key)
	if err != nil {
		return nil, err
	}
	tk.installed = at.UTC().Round(0)
	next := &keyring{active: 1, terms: map[uint32]*termKey{}}
	if r != nil {
		if r.active == ^uint32(0) {
			return nil, errors.New("barrier: keyring has used every term")
		}
		next.active = r.active + 1
		next.terms = maps.Clone(r.terms)
	}
	next.terms[next.active] = tk
	return next, nil
}

// aead returns the cipher of a term, if the keyring has it.
func (r *keyring) aead(term uint32) (cipher.AEAD, bool) {
	tk, ok := r.terms[term]
	if !ok {
		return nil, false
	}
	return tk.aead, true
}

// zeroize clears every key's bytes. The keyring, and every other keyring
// sharing its terms, must not be marshaled afterwards.
func (r *keyring) zeroize() {
	if r == nil {
		return
	}
	for _, tk := range r.terms {
		clear(tk.key)
	}
}

// The serialized keyring: version byte, active term (uint32), then for each
// term in increasing order its number (uint32), its key and, from format 2
// on, when it was installed (Unix nanoseconds, int64; 0: unknown).
// Big-endian. Format 1 (without install times) is still read.
const (
	ringVersion1 byte = 1
	ringVersion  byte = 2
)

// marshal returns the keyring's bytes, which hold every key: clear them
// after use.
func (r *keyring) marshal() []byte {
	out := make([]byte, 0, 5+len(r.terms)*(4+keyLen+8))
	out = append(out, ringVersion)
	out = binary.BigEndian.AppendUint32(out, r.active)
	for _, term := range slices.Sorted(maps.Keys(r.terms)) {
		tk := r.terms[term]
		out = binary.BigEndian.AppendUint32(out, term)
		out = append(out, tk.key...)
		var at int64
		if !tk.installed.IsZero() {
			at = tk.installed.UnixNano()
		}
		out = binary.BigEndian.AppendUint64(out, uint64(at))
	}
	return out
}

// installed is when the active term was installed; zero if unknown.
func (r *keyring) installed() time.Time { return r.terms[r.active].installed }

// parseKeyring reads what marshal wrote. It copies the keys out of b.
func parseKeyring(b []byte) (*keyring, error) {
	entry := 4 + keyLen + 8
	if len(b) > 0 && b[0] == ringVersion1 {
		entry = 4 + keyLen
	}
	if len(b) < 5 || (b[0] != ringVersion && b[0] != ringVersion1) || (len(b)-5)%entry != 0 {
		return nil, errors.New("barrier: malformed keyring")
	}
	r := &keyring{active: binary.BigEndian.Uint32(b[1:5]), terms: map[uint32]*termKey{}}
	for rest := b[5:]; len(rest) > 0; rest = rest[entry:] {
		term := binary.BigEndian.Uint32(rest)
		if _, dup := r.terms[term]; dup {
			return nil, fmt.Errorf("barrier: malformed keyring: term %d twice", term)
		}
		tk, err := newTermKey(slices.Clone(rest[4 : 4+keyLen]))
		if err != nil {
			return nil, err
		}
		if entry > 4+keyLen {
			if at := int64(binary.BigEndian.Uint64(rest[4+keyLen:])); at != 0 {
				tk.installed = time.Unix(0, at).UTC()
			}
		}
		r.terms[term] = tk
	}
	if _, ok := r.terms[r.active]; !ok {
		r.zeroize()
		return nil, fmt.Errorf("barrier: malformed keyring: active term %d has no key", r.active)
	}
	return r, nil
}
