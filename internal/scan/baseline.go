package scan

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// EphemeralKey is the FingerprintKey of a finding whose fingerprint will
// never be seen again: one made with a key drawn for that scan (no
// Config.Key, no WARD_SCAN_KEY), or a known-secret finding, keyed by its
// set.
const EphemeralKey = "ephemeral"

// ErrBaseline is matched (errors.Is) by every error of LoadBaseline and
// Baseline.Check for a baseline that cannot be used as it is.
var ErrBaseline = errors.New("unusable baseline")

// KeyID names a fingerprint key without revealing it: a keyed hash of a
// constant, so that a baseline can tell whether it was written with the key
// a scan uses.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ward-scan fingerprint key id"))
	return "key:" + hex.EncodeToString(m.Sum(nil)[:8])
}

// Baseline is a set of accepted findings, read from an earlier JSON report
// (ward scan --format json). A finding is in the baseline when an entry has
// the same fingerprint (the rule and the secret, keyed), file and archive
// member: an accepted secret stays accepted wherever its line moves in the
// file, and nowhere else.
//
// Fingerprints are only stable under a stable key (Config.Key, which ward
// scan takes from WARD_SCAN_KEY), so LoadBaseline refuses a report made
// without one, and Check refuses a baseline made with another key: a
// baseline never stops matching in silence.
type Baseline struct {
	keyID   string // "" for an empty baseline: it accepts nothing under any key
	entries map[baselineEntry]bool
}

type baselineEntry struct {
	fingerprint, file, member string
}

// LoadBaseline reads a JSON report written by ward scan with a stable
// fingerprint key.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var fs []Finding
	if err := json.Unmarshal(data, &fs); err != nil {
		return nil, fmt.Errorf("%w: %s is not a ward scan JSON report: %v", ErrBaseline, path, err)
	}
	b := &Baseline{entries: map[baselineEntry]bool{}}
	for i, f := range fs {
		switch {
		case f.Known != nil || f.Rule == knownRule.ID:
			return nil, fmt.Errorf("%w: %s, finding %d (%s:%d) is a secret stored in ward, which cannot be accepted: rotate it", ErrBaseline, path, i+1, f.Where(), f.StartLine)
		case f.FingerprintKey == EphemeralKey:
			return nil, fmt.Errorf("%w: %s was written without WARD_SCAN_KEY, so its fingerprints were drawn for that one run and can never match again", ErrBaseline, path)
		case f.FingerprintKey == "" || f.Fingerprint == "":
			return nil, fmt.Errorf("%w: %s, finding %d has no fingerprint key: it was written by an older ward", ErrBaseline, path, i+1)
		case b.keyID != "" && f.FingerprintKey != b.keyID:
			return nil, fmt.Errorf("%w: %s mixes findings made with two fingerprint keys", ErrBaseline, path)
		}
		b.keyID = f.FingerprintKey
		b.entries[baselineEntry{f.Fingerprint, f.File, f.Member}] = true
	}
	return b, nil
}

// Check reports whether the baseline can filter the findings of a scan
// with fingerprint key key: it must have been written with the same key.
func (b *Baseline) Check(key []byte) error {
	if b.keyID != "" && (key == nil || KeyID(key) != b.keyID) {
		return fmt.Errorf("%w: it was written with another fingerprint key (WARD_SCAN_KEY)", ErrBaseline)
	}
	return nil
}

// Contains reports whether f is an accepted finding.
func (b *Baseline) Contains(f Finding) bool {
	return f.FingerprintKey == b.keyID && b.entries[baselineEntry{f.Fingerprint, f.File, f.Member}]
}

// Filter returns the findings not in the baseline.
func (b *Baseline) Filter(fs []Finding) []Finding {
	out := fs[:0:0]
	for _, f := range fs {
		if !b.Contains(f) {
			out = append(out, f)
		}
	}
	return out
}
