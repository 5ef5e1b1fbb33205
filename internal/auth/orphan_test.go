package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/storage"
)

func TestRevokeOrphanLeavesTheChildren(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()                              // root → a → b → c, a → d, root → e
	f.check(f.store, fam, "a", "b", "c", "d", "e") // all cached now
	txns := 0
	f.back.setTxn(func([]storage.Op) { txns++ })
	if err := f.store.RevokeOrphan(f.ctx, fam.tokens["a"]); err != nil {
		t.Fatal(err)
	}
	if txns != 1 {
		t.Errorf("%d transactions, want 1", txns)
	}
	f.check(f.store, fam, "b", "c", "d", "e")
	f.check(f.reopen(), fam, "b", "c", "d", "e")
	for _, name := range []string{"b", "d"} {
		got, err := f.reopen().Lookup(f.ctx, fam.secrets[name])
		if err != nil || got.Parent != "" {
			t.Errorf("%s after its parent's revoke-orphan: parent %q, %v; want an orphan", name, got.Parent, err)
		}
	}
	if got, err := f.store.Lookup(f.ctx, fam.secrets["c"]); err != nil || got.Parent != fam.tokens["b"].Accessor {
		t.Errorf("c keeps its parent b: got %+v, %v", got, err)
	}
	// An orphan renews without its old parent, and a revocation of the old
	// ancestors no longer reaches it.
	if _, err := f.store.Renew(f.ctx, fam.tokens["b"], time.Hour); err != nil {
		t.Errorf("renewing orphan b: %v", err)
	}
	if err := f.store.RevokeOrphan(f.ctx, fam.tokens["a"]); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("second revoke-orphan: %v, want ErrInvalidToken", err)
	}
	if err := f.store.Revoke(f.ctx, f.root); err != nil {
		t.Fatal(err)
	}
	f.check(f.reopen(), fam, "b", "c", "d")
	if n := len(f.keys("parent/")); n != 1 {
		t.Errorf("%d parent entries left, want 1 (b → c): %v", n, f.keys("parent/"))
	}
	if err := f.store.Revoke(f.ctx, fam.tokens["b"]); err != nil {
		t.Fatal(err)
	}
	f.check(f.reopen(), fam, "d")
}

func TestRevokeOrphanFailingChangesNothing(t *testing.T) {
	f := setup(t, nil)
	fam := f.family()
	fail := &failing{Backend: f.back, n: 0}
	f.cfg.Storage = fail
	st := f.reopen()
	if err := st.RevokeOrphan(f.ctx, fam.tokens["a"]); !errors.Is(err, errDisk) {
		t.Fatalf("RevokeOrphan: %v, want the storage error", err)
	}
	f.check(st, fam, "b", "c", "d", "e") // this process keeps refusing a
	f.cfg.Storage = f.back
	f.check(f.reopen(), fam, "a", "b", "c", "d", "e") // storage is as it was
	if got, err := f.reopen().Lookup(f.ctx, fam.secrets["b"]); err != nil || got.Parent != fam.tokens["a"].Accessor {
		t.Fatalf("b after a failed revoke-orphan: %+v, %v; want a's child still", got, err)
	}
	fail.n = 1000
	if err := st.RevokeOrphan(f.ctx, fam.tokens["a"]); err != nil {
		t.Fatalf("second RevokeOrphan: %v", err)
	}
	f.check(f.reopen(), fam, "b", "c", "d", "e")
}
