package barrier

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// keyLen is the length of every key: the root key and each term's key.
const keyLen = 32

// termKey is one AES-256 key and its GCM, built once and shared by every
// keyring value that holds the term.
type termKey struct {
	key  []byte
	aead cipher.AEAD
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

// addTerm returns a keyring with key as the new active term. A nil keyring
// is empty, and its first term is 1. It takes ownership of key.
func (r *keyring) addTerm(key []byte) (*keyring, error) {
	tk, err := newTermKey(key)
	if err != nil {
		return nil, err
	}
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
// term in increasing order its number (uint32) and its key. Big-endian.
const ringVersion byte = 1

// marshal returns the keyring's bytes, which hold every key: clear them
// after use.
func (r *keyring) marshal() []byte {
	out := make([]byte, 0, 5+len(r.terms)*(4+keyLen))
	out = append(out, ringVersion)
	out = binary.BigEndian.AppendUint32(out, r.active)
	for _, term := range slices.Sorted(maps.Keys(r.terms)) {
		out = binary.BigEndian.AppendUint32(out, term)
		out = append(out, r.terms[term].key...)
	}
	return out
}

// parseKeyring reads what marshal wrote. It copies the keys out of b.
func parseKeyring(b []byte) (*keyring, error) {
	const entry = 4 + keyLen
	if len(b) < 5 || b[0] != ringVersion || (len(b)-5)%entry != 0 {
		return nil, errors.New("barrier: malformed keyring")
	}
	r := &keyring{active: binary.BigEndian.Uint32(b[1:5]), terms: map[uint32]*termKey{}}
	for rest := b[5:]; len(rest) > 0; rest = rest[entry:] {
		term := binary.BigEndian.Uint32(rest)
		if _, dup := r.terms[term]; dup {
			return nil, fmt.Errorf("barrier: malformed keyring: term %d twice", term)
		}
		tk, err := newTermKey(slices.Clone(rest[4:entry]))
		if err != nil {
			return nil, err
		}
		r.terms[term] = tk
	}
	if _, ok := r.terms[r.active]; !ok {
		r.zeroize()
		return nil, fmt.Errorf("barrier: malformed keyring: active term %d has no key", r.active)
	}
	return r, nil
}
