// Package wardtoken is the format of ward's tokens and token accessors: how
// they are made, how they are recognised, and what the store keys them by.
// It imports nothing of ward, so the leak scanner and the masker can use it.
//
// A token is 54 characters:
//
//	ward_ + 43 base62 characters + 6 base62 characters
//	prefix  256 random bits         CRC-32 checksum
//
// The 43 body characters are one 256-bit random number written in base62
// (digits 0-9A-Za-z in that order, most significant first, zero-padded to a
// fixed width). The last 6 characters are the CRC-32 (IEEE) of the first 48
// bytes, prefix included, also in base62, most significant first,
// zero-padded. An accessor has the same shape with the prefix wacc_.
//
// The fixed prefix lets a scanner find candidates with a keyword and a
// regular expression (Regexp, AccessorRegexp); the checksum lets it confirm
// them offline with Valid, so a random string that merely looks like a token
// is dismissed (a false positive survives with probability 2^-32), and a
// token with any one character changed is always refused.
//
// Most callers need two functions: New to mint a token, and Valid to check
// one before anything else is done with it. The token store keys tokens by
// Hash and never stores the token itself.
package wardtoken

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
)

const (
	// Prefix starts every token.
	Prefix = "ward_"
	// AccessorPrefix starts every accessor.
	AccessorPrefix = "wacc_"
	// Len is the length of a token and of an accessor.
	Len = len(Prefix) + bodyLen + sumLen

	bodyLen  = 43 // base62 digits of a 256-bit number
	sumLen   = 6  // base62 digits of a 32-bit checksum
	randLen  = 32 // bytes of randomness
	alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Regexp is the source of a regular expression (RE2 syntax) that matches a
// token candidate delimited by non-word characters. A match is a token only
// if Valid says so.
const Regexp = `\bward_[0-9A-Za-z]{49}\b`

// AccessorRegexp is Regexp for accessors; confirm a match with ValidAccessor.
const AccessorRegexp = `\bwacc_[0-9A-Za-z]{49}\b`

// maxBody is 2^256-1 in base62: no 256-bit number is written above it, and
// since the alphabet is in ASCII order, comparing strings compares numbers.
var maxBody = func() string {
	var ones [randLen]byte
	for i := range ones {
		ones[i] = 0xff
	}
	var b [bodyLen]byte
	encodeBody(&b, ones)
	return string(b[:])
}()

// New returns a new token made from 32 bytes of r (crypto/rand.Reader if r
// is nil). The error is r's, wrapped.
func New(r io.Reader) (string, error) { return generate(r, Prefix) }

// NewAccessor returns a new accessor made from 32 bytes of r
// (crypto/rand.Reader if r is nil).
func NewAccessor(r io.Reader) (string, error) { return generate(r, AccessorPrefix) }

// Valid reports whether s is a well-formed token: the prefix, the length,
// the alphabet, a body no greater than 2^256-1, and the checksum.
func Valid(s string) bool { return valid(s, Prefix) }

// ValidAccessor reports whether s is a well-formed accessor.
func ValidAccessor(s string) bool { return valid(s, AccessorPrefix) }

// Hash returns the lowercase hex SHA-256 of token: what the store keeps and
// keys by in place of the token. A token carries 256 random bits, so an
// unsalted hash reveals nothing that guessing could recover.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

var errShortRand = errors.New("wardtoken: reading randomness")

func generate(r io.Reader, prefix string) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var raw [randLen]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return "", errors.Join(errShortRand, err)
	}
	var out [Len]byte
	copy(out[:], prefix)
	encodeBody((*[bodyLen]byte)(out[len(prefix):]), raw)
	putChecksum(out[:])
	clear(raw[:])
	return string(out[:]), nil
}

func valid(s, prefix string) bool {
	if len(s) != Len || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < Len; i++ {
		if !isDigit[s[i]] {
			return false
		}
	}
	if s[len(prefix):Len-sumLen] > maxBody {
		return false
	}
	var want [Len]byte
	copy(want[:], s[:Len-sumLen])
	putChecksum(want[:])
	return string(want[Len-sumLen:]) == s[Len-sumLen:]
}

// putChecksum writes the checksum of b[:Len-sumLen] into b[Len-sumLen:].
func putChecksum(b []byte) {
	n := crc32.ChecksumIEEE(b[:Len-sumLen])
	for i := Len - 1; i >= Len-sumLen; i-- {
		b[i] = alphabet[n%62]
		n /= 62
	}
}

// encodeBody writes the big-endian number num in base62, most significant
// digit first, into b, by repeated long division of a copy of num by 62.
func encodeBody(b *[bodyLen]byte, num [randLen]byte) {
	for i := bodyLen - 1; i >= 0; i-- {
		var rem uint32
		for j := range num {
			cur := rem<<8 | uint32(num[j])
			num[j] = byte(cur / 62)
			rem = cur % 62
		}
		b[i] = alphabet[rem]
	}
}

// isDigit tells the bytes of the base62 alphabet.
var isDigit = func() (t [256]bool) {
	for i := range len(alphabet) {
		t[alphabet[i]] = true
	}
	return t
}()
