package main

import (
	"os"

	"github.com/wardhq/ward/internal/scan"
	"github.com/wardhq/ward/internal/scan/known"
)

// loadKnown reads a fingerprint set of known secrets (see internal/scan/known).
func loadKnown(path string) (scan.KnownMatcher, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("--known-file: %v", err)
	}
	defer f.Close()
	set, err := known.Read(f)
	if err != nil {
		return nil, withHint(usagef("--known-file %s: %v", path, err), "the file must be a set the vault wrote for 'ward scan'")
	}
	return set, nil
}
