package auth_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/auth"
)

// Subtree names a token and its descendants, and nothing else: what a
// revocation of it takes with it, so their leases can go first.
func TestSubtree(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()
	acc := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, fam.tokens[n].Accessor)
		}
		slices.Sort(out)
		return out
	}
	for top, want := range map[string][]string{
		"a": acc("a", "b", "c", "d"),
		"b": acc("b", "c"),
		"c": acc("c"),
		"e": acc("e"),
	} {
		got, err := f.store.Subtree(f.ctx, fam.tokens[top].Accessor)
		if err != nil {
			t.Fatalf("Subtree(%s): %v", top, err)
		}
		if got[0] != fam.tokens[top].Accessor {
			t.Errorf("Subtree(%s) starts with %s, want the token itself", top, got[0])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Subtree(%s) = %v, want %v", top, got, want)
		}
	}
	if err := f.store.Revoke(f.ctx, fam.tokens["b"]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Subtree(f.ctx, fam.tokens["b"].Accessor); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Subtree of a revoked token: %v, want ErrInvalidToken", err)
	}
	if _, err := f.store.Subtree(f.ctx, "not-an-accessor"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Subtree of garbage: %v, want ErrInvalidToken", err)
	}
}
