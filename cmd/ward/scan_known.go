package main

import (
	"bytes"
	"context"
	"os"

	"github.com/wardhq/ward/internal/scan"
	"github.com/wardhq/ward/internal/scan/known"
	"github.com/wardhq/ward/internal/vault"
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

// fetchKnown asks the vault for a fingerprint set of the secrets the
// caller's token may read in env. The scanner never receives a value.
func fetchKnown(ctx context.Context, g *globals, env string) (scan.KnownMatcher, error) {
	set, _, err := fetchKnownIn(ctx, g, env)
	return set, err
}

// fetchKnownIn is fetchKnown that also says whether env is production, as
// the server judges it (by its mark, else its name; by its name when the
// server does not say).
func fetchKnownIn(ctx context.Context, g *globals, env string) (scan.KnownMatcher, bool, error) {
	if err := g.requireEnv(&env); err != nil {
		return nil, false, err
	}
	c, err := g.client()
	if err != nil {
		return nil, false, err
	}
	b, production, err := c.FingerprintsIn(ctx, env)
	if err != nil {
		return nil, false, g.apiError(err)
	}
	set, err := known.Read(bytes.NewReader(b))
	if err != nil {
		return nil, false, err
	}
	return set, vault.ProdOf(env, production), nil
}
