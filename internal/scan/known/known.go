// Package known finds the secrets ward issued in scanned input without the
// scanner ever holding their plaintext.
//
// The vault builds a fingerprint Set for the secrets a caller may read in an
// environment (Build), in every fixed form the masker masks (mask.Forms: as
// is, hex in either case, base64 and base64url padded or not and inside
// longer base64 at each alignment, percent-encoded, JSON-escaped,
// shell-quoted); ward scan loads it (Read) and matches it (Set implements
// scan.KnownMatcher) in the input and in the input's canonical readings
// (mask.Readings: every percent-encoding, backslash escapes, colour codes,
// UTF-16), so it finds whatever the masker would have masked:
//
//	set, err := known.Build(key, secrets)   // in the vault
//	err = set.Write(w)
//	set, err = known.Read(r)                 // in ward scan --known-file
//	s, err := scan.New(scan.Config{Known: set})
//
// # The fingerprint
//
// Each entry of a set describes one form of one value v (n = len(v) ≥ 8
// bytes) under a key K drawn at random for that set:
//
//	pick = 24 bits of a keyed mix of K and v[0:8]   (which positions to try)
//	tag  = HMAC-SHA256(K, "ward-known-v1" 0x00 v)   (confirms a candidate)
//
// The scanner computes the pick at every position of its input (a few
// nanoseconds) and, only where it hits an entry of the same length, the
// HMAC of the n bytes there; equal tags are a match. Some 1 in 16 million
// positions are false picks, and each costs one HMAC.
//
// What a set reveals, to whoever reads it: the path, field and version of
// each secret, the length of each form, 24 bits about its first eight bytes,
// and a way to test a guess of the whole value (one HMAC per guess). It
// holds no byte of any value, no prefix, no unkeyed hash, and sets made for
// two requests share no key, so they cannot be compared or attacked with
// precomputed tables. For the values ward generates (128 bits of
// randomness or more), testing guesses is hopeless; a human-chosen
// password in a set is as exposed as it would be by a salted fast hash, so
// treat a set as you would such a hash: never publish it. The caller who
// receives a set may read the plaintext anyway; the point is that the
// scanner, its logs and its reports never see it.
package known

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/wardhq/ward/internal/mask"
	"github.com/wardhq/ward/internal/scan"
)

// MinLength is the shortest value a set can match: shorter values are too
// short to find without false matches and Build leaves them out.
const MinLength = 8

// ErrBadSet is wrapped by the errors of Read for a set it cannot use.
var ErrBadSet = errors.New("bad known-secret set")

// Secret is one secret value given to Build (in the vault only).
type Secret struct {
	Path    string
	Field   string
	Version int
	Value   []byte
}

// Entry is one form of one secret in a set.
type Entry struct {
	Path     string `json:"path"`
	Field    string `json:"field,omitempty"`
	Version  int    `json:"version"`
	Encoding string `json:"encoding,omitempty"` // "" for the value as is
	Length   int    `json:"length"`
	Pick     uint32 `json:"pick"`
	Tag      string `json:"tag"` // hex HMAC-SHA256
}

// Set is a fingerprint set. It is immutable once built or read and safe
// for concurrent use.
type Set struct {
	key     []byte
	entries []Entry
	tags    [][32]byte
	bits    []uint64         // 2^24-bit filter over picks
	byPick  map[uint32][]int // pick -> entry indexes
	maxLen  int
	mix     [3]uint64
}

type setFile struct {
	Format  string  `json:"format"`
	Key     string  `json:"key"`
	Entries []Entry `json:"entries"`
}

const format = "ward-known-v1"

// forms returns the forms of v that Build fingerprints: the fixed forms
// the masker masks (mask.Forms), as long as a set can hold them. Escapes
// the masker reads canonically (percent-encodings whichever characters
// they escape, backslash escapes, colour codes, UTF-16) need no entry: the
// scanner matches the set in the same canonical readings (mask.Readings).
func forms(v []byte) []mask.Form {
	return slices.DeleteFunc(mask.Forms(v), func(f mask.Form) bool {
		return len(f.Bytes) < MinLength || len(f.Bytes) > scan.Overlap
	})
}

// Build makes the set for secrets under key (32 random bytes, new for each
// set). Values shorter than MinLength are left out.
func Build(key []byte, secrets []Secret) (*Set, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("%w: the key must be at least 16 bytes", ErrBadSet)
	}
	s := newSet(key)
	for _, sec := range secrets {
		if len(sec.Value) < MinLength {
			continue
		}
		for _, f := range forms(sec.Value) {
			tag := s.tag(f.Bytes)
			s.add(Entry{Path: sec.Path, Field: sec.Field, Version: sec.Version, Encoding: f.Encoding,
				Length: len(f.Bytes), Pick: s.pick(binary.LittleEndian.Uint64(f.Bytes)), Tag: hex.EncodeToString(tag[:])}, tag)
		}
	}
	return s, nil
}

func newSet(key []byte) *Set {
	s := &Set{key: append([]byte(nil), key...), bits: make([]uint64, 1<<24/64), byPick: map[uint32][]int{}}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(format + " pick"))
	sum := m.Sum(nil)
	for i := range s.mix {
		s.mix[i] = binary.LittleEndian.Uint64(sum[8*i:]) | 1
	}
	return s
}

func (s *Set) add(e Entry, tag [32]byte) {
	i := len(s.entries)
	s.entries = append(s.entries, e)
	s.tags = append(s.tags, tag)
	s.bits[e.Pick>>6] |= 1 << (e.Pick & 63)
	s.byPick[e.Pick] = append(s.byPick[e.Pick], i)
	s.maxLen = max(s.maxLen, e.Length)
}

// pick is a keyed mix of 8 bytes down to 24 bits: a filter, not a proof.
func (s *Set) pick(x uint64) uint32 {
	x ^= s.mix[0]
	x *= s.mix[1]
	x ^= x >> 31
	x *= s.mix[2]
	x ^= x >> 29
	return uint32(x >> 40)
}

func (s *Set) tag(v []byte) [32]byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(format))
	m.Write([]byte{0})
	m.Write(v)
	var t [32]byte
	copy(t[:], m.Sum(nil))
	return t
}

// Entries returns the set's entries; the caller must not modify them.
func (s *Set) Entries() []Entry { return s.entries }

// MaxLen is the length of the longest form in the set.
func (s *Set) MaxLen() int { return s.maxLen }

// Find implements scan.KnownMatcher.
func (s *Set) Find(buf []byte, limit int, fn func(start, end int, ref scan.KnownRef)) {
	if len(s.entries) == 0 {
		return
	}
	end := min(limit, len(buf)-MinLength+1)
	for i := 0; i < end; i++ {
		p := s.pick(binary.LittleEndian.Uint64(buf[i:]))
		if s.bits[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for _, ei := range s.byPick[p] {
			e := &s.entries[ei]
			if i+e.Length > len(buf) {
				continue
			}
			t := s.tag(buf[i : i+e.Length])
			if hmac.Equal(t[:], s.tags[ei][:]) {
				fn(i, i+e.Length, scan.KnownRef{Path: e.Path, Field: e.Field, Version: e.Version,
					Encoding: e.Encoding, Fingerprint: "known:" + e.Tag[:32]})
			}
		}
	}
}

// Write writes the set as JSON.
func (s *Set) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(setFile{Format: format, Key: base64.StdEncoding.EncodeToString(s.key), Entries: s.entries})
}

// Read reads a set written by Write.
func Read(r io.Reader) (*Set, error) {
	var f setFile
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSet, err)
	}
	if f.Format != format {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrBadSet, f.Format, format)
	}
	key, err := base64.StdEncoding.DecodeString(f.Key)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%w: the key must be base64 of at least 16 bytes", ErrBadSet)
	}
	s := newSet(key)
	for i, e := range f.Entries {
		var tag [32]byte
		if len(e.Tag) != 64 {
			return nil, fmt.Errorf("%w: entry %d (%s): tag must be 64 hex digits", ErrBadSet, i+1, e.Path)
		}
		if _, err := hex.Decode(tag[:], []byte(e.Tag)); err != nil {
			return nil, fmt.Errorf("%w: entry %d (%s): tag must be 64 hex digits", ErrBadSet, i+1, e.Path)
		}
		if e.Length < MinLength || e.Length > scan.Overlap || e.Pick >= 1<<24 {
			return nil, fmt.Errorf("%w: entry %d (%s): length or pick out of range", ErrBadSet, i+1, e.Path)
		}
		s.add(e, tag)
	}
	return s, nil
}

var _ scan.KnownMatcher = (*Set)(nil)
