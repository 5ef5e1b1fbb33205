package auth_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/wardtoken"
)

func TestRootAndLookup(t *testing.T) {
	f := setup(t, nil)
	secret, root, err := f.store.CreateRoot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !wardtoken.Valid(secret) || !wardtoken.ValidAccessor(root.Accessor) {
		t.Fatal("root token or accessor not in ward's format")
	}
	if !root.IsRoot() || !root.ExpiresAt.IsZero() || root.Renewable || root.Parent != "" || root.EnvID != "" {
		t.Errorf("root token: %+v", root)
	}
	for _, s := range []*auth.Store{f.store, f.reopen()} {
		got, err := s.Lookup(f.ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.Accessor != root.Accessor || !got.IsRoot() || got.DisplayName != "root" {
			t.Errorf("Lookup: %+v", got)
		}
		got, err = s.LookupAccessor(f.ctx, root.Accessor)
		if err != nil || got.Accessor != root.Accessor {
			t.Errorf("LookupAccessor: %v", err)
		}
	}
}

func TestLookupRefuses(t *testing.T) {
	f := setup(t, nil)
	secret, tok := f.envToken(f.root, time.Hour, "deploy")
	unknown, _ := wardtoken.New(nil)
	flipped := secret[:20] + string(secret[20]^1) + secret[21:]
	for name, s := range map[string]string{
		"empty":          "",
		"bad checksum":   flipped,
		"unknown":        unknown,
		"accessor":       tok.Accessor,
		"with space":     " " + secret,
		"vault-style id": "hvs.CAESIJ",
	} {
		for _, st := range []*auth.Store{f.store, f.reopen()} {
			_, err := st.Lookup(f.ctx, s)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("%s: Lookup error %v, want ErrInvalidToken", name, err)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error quotes the token", name)
			}
		}
	}
	for _, a := range []string{"", secret, "wacc_x", mustAccessor(t)} {
		if _, err := f.store.LookupAccessor(f.ctx, a); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("LookupAccessor: error %v, want ErrInvalidToken", err)
		}
	}
}

func mustAccessor(t *testing.T) string {
	a, err := wardtoken.NewAccessor(nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStorageHoldsNoToken(t *testing.T) {
	f := setup(t, nil)
	rootSecret, _, err := f.store.CreateRoot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	parentSecret, parent := f.envToken(f.root, time.Hour, "deploy", "read")
	childSecret, _ := f.create(parent, auth.CreateRequest{Meta: map[string]string{"job": "42"}, DisplayName: "ci"})
	dump := f.dump()
	if len(dump) == 0 {
		t.Fatal("nothing stored")
	}
	for _, secret := range []string{rootSecret, parentSecret, childSecret} {
		body := secret[len(wardtoken.Prefix):]
		for k, v := range dump {
			if strings.Contains(k, body) || strings.Contains(v, body) {
				t.Errorf("a token is stored under or in %s", k)
			}
		}
		if _, ok := dump["id/"+wardtoken.Hash(secret)]; !ok {
			t.Error("no record under id/<hash>")
		}
	}
}

func TestLookupReturnsACopy(t *testing.T) {
	f := setup(t, nil)
	secret, _ := f.create(f.root, auth.CreateRequest{Policies: []string{"a", "b"}, Env: "staging", EnvID: "env-1", Meta: map[string]string{"k": "v"}})
	got, err := f.store.Lookup(f.ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	got.Policies[0] = "root"
	got.Meta["k"] = "changed"
	again, err := f.store.Lookup(f.ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Policies, []string{"a", "b"}) || !maps.Equal(again.Meta, map[string]string{"k": "v"}) {
		t.Errorf("a caller's change reached the cache: %v %v", again.Policies, again.Meta)
	}
}

func TestExpiryAtTheBoundary(t *testing.T) {
	for _, size := range []int{0, -1} {
		f := setup(t, func(c *auth.Config) { c.CacheSize = size })
		secret, tok := f.envToken(f.root, time.Hour, "deploy")
		if want := f.clock.Now().Add(time.Hour); !tok.ExpiresAt.Equal(want) || tok.TTL != time.Hour {
			t.Fatalf("ExpiresAt %v TTL %v, want %v and 1h", tok.ExpiresAt, tok.TTL, want)
		}
		fresh := f.reopen()
		f.clock.Set(tok.ExpiresAt.Add(-time.Nanosecond))
		if !f.valid(f.store, secret) || !f.valid(fresh, secret) {
			t.Fatalf("cache %d: invalid 1ns before expiry", size)
		}
		f.clock.Set(tok.ExpiresAt)
		if f.valid(f.store, secret) || f.valid(fresh, secret) {
			t.Fatalf("cache %d: still valid at ExpiresAt", size)
		}
		if _, err := f.store.LookupAccessor(f.ctx, tok.Accessor); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("cache %d: accessor still valid at ExpiresAt", size)
		}
	}
}

func TestRootNeverExpires(t *testing.T) {
	f := setup(t, nil)
	secret, _, err := f.store.CreateRoot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(100 * 365 * 24 * time.Hour)
	if !f.valid(f.store, secret) {
		t.Error("the root token expired")
	}
}

// TestRacingLookupDoesNotCacheARevokedToken revokes a token while a
// cache-missing Lookup is between its storage read and its cache insert.
func TestRacingLookupDoesNotCacheARevokedToken(t *testing.T) {
	f := setup(t, nil)
	secret, tok := f.envToken(f.root, time.Hour, "deploy")
	st := f.reopen() // empty cache
	key := "id/" + wardtoken.Hash(secret)
	fired := false
	f.back.setGet(func(k string) {
		if k == key && !fired {
			fired = true
			if err := st.RevokeAccessor(f.ctx, tok.Accessor); err != nil {
				t.Errorf("RevokeAccessor: %v", err)
			}
		}
	})
	st.Lookup(f.ctx, secret) // read before the revocation: either answer is right
	f.back.setGet(nil)
	if !fired {
		t.Fatal("the hook did not run")
	}
	if f.valid(st, secret) {
		t.Error("a revoked token was cached by a racing Lookup")
	}
}
