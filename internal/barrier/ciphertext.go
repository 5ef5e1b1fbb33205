package barrier

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"
)

// The ciphertext layout; see the package doc.
const (
	formatVersion byte = 1
	nonceLen           = 12
	headerLen          = 1 + 4 + nonceLen
	tagLen             = 16
)

// additionalData binds a ciphertext to its format and its storage key.
func additionalData(key string) []byte {
	ad := make([]byte, 1+len(key))
	ad[0] = formatVersion
	copy(ad[1:], key)
	return ad
}

// seal encrypts plaintext for storage at key under the given term.
func seal(random io.Reader, aead cipher.AEAD, term uint32, key string, plaintext []byte) ([]byte, error) {
	out := make([]byte, headerLen, headerLen+len(plaintext)+aead.Overhead())
	out[0] = formatVersion
	binary.BigEndian.PutUint32(out[1:5], term)
	nonce := out[5:headerLen]
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, fmt.Errorf("barrier: reading a nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, additionalData(key)), nil
}

// header is a parsed ciphertext, not yet authenticated.
type header struct {
	term   uint32
	nonce  []byte
	sealed []byte
}

// parseCiphertext splits a stored value into its parts. It checks only the
// layout; the caller authenticates.
func parseCiphertext(key string, b []byte) (header, error) {
	if len(b) < headerLen+tagLen {
		return header{}, &DecryptError{Key: key, Reason: fmt.Sprintf("truncated: %d bytes, a value is at least %d", len(b), headerLen+tagLen)}
	}
	if b[0] != formatVersion {
		return header{}, &DecryptError{Key: key, Reason: fmt.Sprintf("unknown format version %d (this ward writes %d)", b[0], formatVersion)}
	}
	return header{
		term:   binary.BigEndian.Uint32(b[1:5]),
		nonce:  b[5:headerLen],
		sealed: b[headerLen:],
	}, nil
}

// open authenticates and decrypts a value stored at key with the keyring
// ring; whose names the keyring in errors ("the system keyring").
func open(ring *keyring, whose, key string, b []byte) ([]byte, error) {
	return openTo(ring, whose, key, b, false)
}

// openInPlace is open, decrypting into b's own storage, which it
// overwrites: for a value read for this one use.
func openInPlace(ring *keyring, whose, key string, b []byte) ([]byte, error) {
	return openTo(ring, whose, key, b, true)
}

func openTo(ring *keyring, whose, key string, b []byte, inPlace bool) ([]byte, error) {
	h, err := parseCiphertext(key, b)
	if err != nil {
		return nil, err
	}
	aead, ok := ring.aead(h.term)
	if !ok {
		return nil, &DecryptError{Key: key, Reason: fmt.Sprintf("key term %d is not in %s (active term %d)", h.term, whose, ring.active)}
	}
	// A non-nil destination: an empty value reads back empty, not nil.
	dst := h.sealed[:0]
	if !inPlace {
		dst = make([]byte, 0, len(h.sealed)-tagLen)
	}
	plain, err := aead.Open(dst, h.nonce, h.sealed, additionalData(key))
	if err != nil {
		return nil, &DecryptError{Key: key, Reason: fmt.Sprintf("authentication failed under %s term %d: the value was altered, or written at another key", whose, h.term)}
	}
	return plain, nil
}
