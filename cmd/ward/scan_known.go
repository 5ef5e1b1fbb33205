package main

import (
	"github.com/wardhq/ward/internal/scan"
)

func loadKnown(path string) (scan.KnownMatcher, error) {
	return nil, usagef("--known-file: not available yet")
}
