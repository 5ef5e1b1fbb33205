package lease_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage"
)

// peer is a second server's Manager over the fixture's store and clock,
// with its own engine, as on a shared PostgreSQL.
func (f *fixture) peer() (*lease.Manager, *fakeRevoker) {
	f.t.Helper()
	rev := newFakeRevoker()
	cfg := f.cfg
	cfg.Revokers = map[string]lease.Revoker{"database": rev}
	m := lease.New(cfg)
	if err := m.Recover(ctx, []lease.Env{staging, prod}); err != nil {
		f.t.Fatal(err)
	}
	return m, rev
}

// rest is the part of l's id after its environment's name.
func rest(l *lease.Lease) string { return strings.TrimPrefix(l.ID, l.Env+"/") }

func refresh(t *testing.T, m *lease.Manager, l *lease.Lease) {
	t.Helper()
	if err := m.Refresh(ctx, staging, rest(l)); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
}

// A lease issued on another server is expired by the leader once the
// leader has followed its record, and the issuer forgets it when the
// leader's delete reaches it.
func TestFollowExpiresPeerLease(t *testing.T) {
	f := newFixture(t) // f.m leads
	b, brev := f.peer()
	l, _, err := b.Issue(ctx, req(staging, "app", "tokA"), noop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Lookup(ctx, root, l.ID); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("leader knows the lease before following: %v", err)
	}
	refresh(t, f.m, l)
	if got, err := f.m.Lookup(ctx, root, l.ID); err != nil || !got.ExpiresAt.Equal(l.ExpiresAt) {
		t.Fatalf("leader Lookup after Refresh = %+v, %v", got, err)
	}
	if issued, _ := f.m.Counts(); issued != 1 {
		t.Fatalf("leader counts %d issued, want 1", issued)
	}
	f.clock.Advance(time.Hour)
	if n := f.tick(); n != 1 || f.rev.count(l.ID) != 1 || brev.total() != 0 {
		t.Fatalf("leader revoked %d (its engine %d, the peer's %d); want 1 by the leader", n, f.rev.count(l.ID), brev.total())
	}
	refresh(t, b, l)
	if _, err := b.Lookup(ctx, root, l.ID); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("peer Lookup after the leader revoked: %v, want ErrNotFound", err)
	}
	if issued, _ := b.Counts(); issued != 0 {
		t.Fatalf("peer still counts %d issued", issued)
	}
}

// A renewal on another server moves the leader's expiry; a revocation on
// another server removes the lease from the leader's schedule.
func TestFollowRenewAndRevokeOnPeer(t *testing.T) {
	f := newFixture(t)
	b, brev := f.peer()
	renewed, _, err := b.Issue(ctx, req(staging, "app", "tokA"), noop)
	if err != nil {
		t.Fatal(err)
	}
	revoked, _, err := b.Issue(ctx, req(staging, "web", "tokA"), noop)
	if err != nil {
		t.Fatal(err)
	}
	refresh(t, f.m, renewed)
	refresh(t, f.m, revoked)

	f.clock.Advance(50 * time.Minute)
	if _, _, err := b.Renew(ctx, owner(renewed), renewed.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Revoke(ctx, owner(revoked), revoked.ID); err != nil {
		t.Fatal(err)
	}
	refresh(t, f.m, renewed)
	refresh(t, f.m, revoked)

	f.clock.Advance(11 * time.Minute) // past the first expiry
	if n := f.tick(); n != 0 || f.rev.total() != 0 {
		t.Fatalf("leader revoked %d at the old expiry; want none (renewed and revoked on the peer)", n)
	}
	if brev.count(revoked.ID) != 1 {
		t.Fatalf("peer revoked %q %d times, want 1", revoked.ID, brev.count(revoked.ID))
	}
	f.clock.Advance(50 * time.Minute) // past the renewed expiry, 50 min + 1 h
	if n := f.tick(); n != 1 || f.rev.count(renewed.ID) != 1 {
		t.Fatalf("at the renewed expiry the leader revoked %d; want the renewed lease", n)
	}
}

// An older record read in a race (before a renewal was stored) never
// moves the expiry earlier.
func TestFollowNeverMovesExpiryEarlier(t *testing.T) {
	f := newFixture(t)
	l := f.issue(req(staging, "app", "tokA"))
	key := "env/" + staging.ID + "/leases/" + rest(l)
	old, err := f.b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Minute)
	if _, _, err := f.m.Renew(ctx, owner(l), l.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.b.Put(ctx, &storage.Entry{Key: key, Value: old.Value}); err != nil {
		t.Fatal(err)
	}
	refresh(t, f.m, l)
	if err := f.m.Reconcile(ctx, []lease.Env{staging}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(31 * time.Minute) // past the first expiry
	if n := f.tick(); n != 0 {
		t.Fatalf("revoked %d at the expiry of the older record", n)
	}
	got, err := f.m.Lookup(ctx, owner(l), l.ID)
	if err != nil || !got.ExpiresAt.Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("Lookup = %+v, %v; want the renewed expiry", got, err)
	}
}

// Reconcile adds the stored leases the Manager lacks (with those already
// expired due at once) and drops those whose records are gone, keeping
// the leases it issues meanwhile.
func TestReconcile(t *testing.T) {
	f := newFixture(t)
	b, _ := f.peer()
	gone := f.issue(req(staging, "old", "tokA"))
	var fresh []*lease.Lease
	for _, r := range []lease.Request{req(staging, "app", "tokA"), req(prod, "app", "tokB")} {
		l, _, err := b.Issue(ctx, r, noop)
		if err != nil {
			t.Fatal(err)
		}
		fresh = append(fresh, l)
	}
	// The peer revokes gone without the leader hearing of it.
	refresh(t, b, gone)
	if err := b.Revoke(ctx, root, gone.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Hour) // every lease has expired
	if err := f.m.Reconcile(ctx, []lease.Env{staging, prod}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Lookup(ctx, root, gone.ID); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("lease revoked on the peer still held: %v", err)
	}
	if n := f.tick(); n != 2 || f.rev.count(fresh[0].ID) != 1 || f.rev.count(fresh[1].ID) != 1 || f.rev.count(gone.ID) != 0 {
		t.Fatalf("first tick after Reconcile revoked %d; want the peer's 2 expired leases, not the gone one", n)
	}
}

// A revocation that failed on the leader is listed as failed on the
// other servers once they follow its record.
func TestFollowFailedRevocation(t *testing.T) {
	f := newFixture(t)
	b, _ := f.peer()
	l := f.issue(req(staging, "app", "tokA"))
	refresh(t, b, l)
	f.rev.setDown(true)
	f.clock.Advance(time.Hour)
	f.tick()
	refresh(t, b, l)
	failed, err := b.Failed(ctx, root)
	if err != nil || len(failed) != 1 || failed[0].ID != l.ID || failed[0].Failure == nil {
		t.Fatalf("peer Failed = %+v, %v; want the leader's failed revocation", failed, err)
	}
	if issued, failing := b.Counts(); issued != 0 || failing != 1 {
		t.Fatalf("peer Counts = %d issued, %d failing; want 0, 1", issued, failing)
	}
}

// readHook is a store whose next Get of a lease record runs a function
// once the record is read and before the reader has it: the reader then
// holds a record the function may have made stale.
type readHook struct {
	storage.Backend
	mu   sync.Mutex
	next func()
}

func (h *readHook) Get(ctx context.Context, key string) (*storage.Entry, error) {
	e, err := h.Backend.Get(ctx, key)
	h.mu.Lock()
	fn := h.next
	h.next = nil
	h.mu.Unlock()
	if fn != nil && strings.Contains(key, "/leases/") {
		fn()
	}
	return e, err
}

func (h *readHook) after(fn func()) {
	h.mu.Lock()
	h.next = fn
	h.mu.Unlock()
}

// A lease the Manager revokes while a Refresh or a Reconcile is reading
// its record (read before the delete, merged after) stays revoked: it is
// not taken back from the stale record and revoked a second time.
func TestReadDuringRevocationDoesNotRevive(t *testing.T) {
	for _, read := range []string{"Refresh", "Reconcile"} {
		t.Run(read, func(t *testing.T) {
			hook := &readHook{}
			f := newFixture(t, func(c *lease.Config) {
				hook.Backend = c.Storage
				c.Storage = hook
			})
			l := f.issue(req(staging, "app", "tokA"))
			f.clock.Advance(2 * time.Hour)
			hook.after(func() {
				if n := f.tick(); n != 1 {
					t.Errorf("the tick during the read revoked %d leases, want 1", n)
				}
			})
			var err error
			if read == "Refresh" {
				err = f.m.Refresh(ctx, staging, rest(l))
			} else {
				err = f.m.Reconcile(ctx, []lease.Env{staging, prod})
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.m.Lookup(ctx, root, l.ID); !errors.Is(err, lease.ErrNotFound) {
				t.Fatalf("after the %s, the revoked lease is held again: %v", read, err)
			}
			f.tick()
			if got := f.rev.count(l.ID); got != 1 {
				t.Fatalf("revoked %d times, want 1", got)
			}
		})
	}
}
