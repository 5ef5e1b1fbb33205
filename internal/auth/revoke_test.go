package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/wardtoken"
)

// family is a tree of tokens under root: a → b → c, a → d, and e apart.
type family struct {
	secrets map[string]string
	tokens  map[string]*auth.Token
}

func (f *fixture) family() family {
	fam := family{secrets: map[string]string{}, tokens: map[string]*auth.Token{}}
	add := func(name string, parent *auth.Token) {
		fam.secrets[name], fam.tokens[name] = f.envToken(parent, time.Hour, "a")
	}
	add("a", f.root)
	add("b", fam.tokens["a"])
	add("c", fam.tokens["b"])
	add("d", fam.tokens["a"])
	add("e", f.root)
	return fam
}

// check fails the test unless exactly the tokens named in alive pass Lookup
// in s.
func (f *fixture) check(s *auth.Store, fam family, alive ...string) {
	f.t.Helper()
	for name, secret := range fam.secrets {
		if got := f.valid(s, secret); got != slices.Contains(alive, name) {
			f.t.Errorf("token %s valid: %v", name, got)
		}
	}
}

func TestRevokeTakesTheTree(t *testing.T) {
	revokers := map[string]func(f *fixture, tok *auth.Token) error{
		"Revoke":         func(f *fixture, tok *auth.Token) error { return f.store.Revoke(f.ctx, tok) },
		"RevokeAccessor": func(f *fixture, tok *auth.Token) error { return f.store.RevokeAccessor(f.ctx, tok.Accessor) },
	}
	for name, revoke := range revokers {
		t.Run(name, func(t *testing.T) {
			f := setup(t, nil)
			fam := f.family()
			f.check(f.store, fam, "a", "b", "c", "d", "e") // all cached now
			if err := revoke(f, fam.tokens["a"]); err != nil {
				t.Fatal(err)
			}
			f.check(f.store, fam, "e")
			f.check(f.reopen(), fam, "e")
			if err := revoke(f, fam.tokens["a"]); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("second revocation: %v, want ErrInvalidToken", err)
			}
			// Only the root and e remain, with their index entries.
			if n := len(f.keys("id/")); n != 2 {
				t.Errorf("%d records left, want 2", n)
			}
			if n := len(f.keys("accessor/")); n != 2 {
				t.Errorf("%d accessors left, want 2", n)
			}
			if n := len(f.keys("parent/")); n != 1 {
				t.Errorf("%d parent entries left, want 1 (root → e)", n)
			}
			if n := len(f.keys("env/")); n != 1 {
				t.Errorf("%d env entries left, want 1 (e)", n)
			}
		})
	}
}

func TestRevokeLeaf(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()
	if err := f.store.Revoke(f.ctx, fam.tokens["c"]); err != nil {
		t.Fatal(err)
	}
	f.check(f.store, fam, "a", "b", "d", "e")
}

// TestRevokeIsAtOnce looks the whole tree up while the revocation has
// removed only its first (deepest) token from storage.
func TestRevokeIsAtOnce(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()
	f.check(f.store, fam, "a", "b", "c", "d", "e")
	calls := 0
	f.back.setTxn(func([]storage.Op) {
		calls++
		if calls == 1 {
			f.check(f.store, fam, "e")
		}
	})
	if err := f.store.Revoke(f.ctx, fam.tokens["a"]); err != nil {
		t.Fatal(err)
	}
	if calls != 4 {
		t.Errorf("%d transactions, want one per token", calls)
	}
}

// failing fails every transaction after the first n.
type failing struct {
	storage.Backend
	n int
}

var errDisk = errors.New("disk on fire")

func (b *failing) Transaction(ctx context.Context, ops []storage.Op) error {
	if b.n == 0 {
		return errDisk
	}
	b.n--
	return b.Backend.Transaction(ctx, ops)
}

func TestRevokeFailurePartWay(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()
	fail := &failing{Backend: f.back, n: 1000}
	f.cfg.Storage = fail
	st := f.reopen()
	fail.n = 1 // c goes, then the disk fails
	if err := st.Revoke(f.ctx, fam.tokens["a"]); !errors.Is(err, errDisk) {
		t.Fatalf("Revoke: %v, want the storage error", err)
	}
	f.check(st, fam, "e") // this process keeps refusing the tree
	fail.n = 1000
	if err := st.Revoke(f.ctx, fam.tokens["a"]); err != nil {
		t.Fatalf("second Revoke: %v", err)
	}
	f.check(f.reopen(), fam, "e")
}

func TestRevokeEnv(t *testing.T) {
	f := setup(t, nil)
	fam := f.family() // all in env-1
	_, other := f.create(f.root, auth.CreateRequest{Policies: []string{"a"}, Env: "prod", EnvID: "env-2"})
	otherSecret, _ := f.create(other, auth.CreateRequest{})
	f.check(f.store, fam, "a", "b", "c", "d", "e")
	n, err := f.store.RevokeEnv(f.ctx, "env-1")
	if err != nil || n != 5 {
		t.Fatalf("RevokeEnv: %d, %v; want 5", n, err)
	}
	f.check(f.store, fam)
	if !f.valid(f.store, otherSecret) {
		t.Error("a token of another environment was revoked")
	}
	if keys := f.keys("env/env-1/"); len(keys) != 0 {
		t.Errorf("left: %v", keys)
	}
	if n, err := f.store.RevokeEnv(f.ctx, "env-1"); err != nil || n != 0 {
		t.Errorf("again: %d, %v", n, err)
	}
	var bad *auth.RequestError
	if _, err := f.store.RevokeEnv(f.ctx, ""); !errors.As(err, &bad) {
		t.Errorf("empty env ID: %v", err)
	}
}

func TestRevokeRoot(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()
	if err := f.store.Revoke(f.ctx, f.root); err != nil {
		t.Fatal(err)
	}
	f.check(f.store, fam)
	if keys := f.keys(""); len(keys) != 0 {
		t.Errorf("left: %v", keys)
	}
	if err := f.store.RevokeAccessor(f.ctx, "not an accessor"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("malformed accessor: %v", err)
	}
	acc, _ := wardtoken.NewAccessor(nil)
	if err := f.store.RevokeAccessor(f.ctx, acc); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("unknown accessor: %v", err)
	}
}
