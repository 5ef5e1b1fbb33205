package vault

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/lease/leasetest"
	"github.com/wardhq/ward/internal/storage/memory"
)

// lockerStore is a memory store that says it is shared (a storage.Locker)
// but has no change feed: a second vault over it learns of another's
// leases only by reading the store.
type lockerStore struct{ *memory.Backend }

func (lockerStore) Lead(ctx context.Context, _ string) (context.Context, func(), error) {
	return ctx, func() {}, nil
}

// countingRevoker counts revocations by lease id and tells done of each.
type countingRevoker struct {
	mu   sync.Mutex
	n    map[string]int
	done chan string
}

func (r *countingRevoker) Revoke(_ context.Context, l *lease.Lease) error {
	r.mu.Lock()
	r.n[l.ID]++
	r.mu.Unlock()
	r.done <- l.ID
	return nil
}

func (r *countingRevoker) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[id]
}

// twoVaults opens two vaults over one shared store, both unsealed, with a
// "fake" lease kind revoked by rev, on a fake clock.
func twoVaults(t *testing.T) (a, b *Vault, staging lease.Env, rev *countingRevoker, clock *leasetest.Clock) {
	t.Helper()
	ctx := context.Background()
	store := lockerStore{memory.New()}
	clock = leasetest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	cfg := Config{Storage: store, Leases: lease.Config{Now: clock.Now, After: clock.After}}
	a, res := openTestVault(t, cfg, "staging")
	cfg.AuditPath = filepath.Join(t.TempDir(), "audit.log")
	b, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if _, err := b.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	rev = &countingRevoker{n: map[string]int{}, done: make(chan string, 16)}
	for _, v := range []*Vault{a, b} {
		st, err := v.leases()
		if err != nil {
			t.Fatal(err)
		}
		st.m.Register("fake", rev)
	}
	u, err := a.state()
	if err != nil {
		t.Fatal(err)
	}
	staging = lease.Env{Name: "staging", ID: u.envs["staging"].ID}
	return a, b, staging, rev, clock
}

func issueFake(t *testing.T, v *Vault, env lease.Env) *lease.Lease {
	t.Helper()
	st, err := v.leases()
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := st.m.Issue(context.Background(), lease.Request{Env: env, Path: "fake/creds/app", Kind: "fake", Token: "acc-1", TTL: time.Hour, MaxTTL: 4 * time.Hour, Renewable: true},
		func(_ context.Context, _ *lease.Lease, stored func() error) error { return stored() })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var rootCaller = &Caller{Token: &auth.Token{Accessor: "root-acc", Policies: []string{auth.RootPolicy}}}

// On a shared store a server answers for a lease another server issued a
// moment ago (before any change feed could tell it), reading its record.
func TestLeaseFromAnotherServer(t *testing.T) {
	ctx := context.Background()
	a, b, staging, rev, _ := twoVaults(t)
	l := issueFake(t, a, staging)
	if got, err := b.LookupLease(ctx, rootCaller, l.ID); err != nil || got.ID != l.ID {
		t.Fatalf("lookup on the other server = %+v, %v", got, err)
	}
	if got, _, err := b.RenewLease(ctx, rootCaller, l.ID, 2*time.Hour); err != nil || !got.ExpiresAt.Equal(l.IssuedAt.Add(2*time.Hour)) {
		t.Fatalf("renew on the other server = %+v, %v", got, err)
	}
	other := issueFake(t, a, staging)
	if err := b.RevokeLease(ctx, rootCaller, other.ID); err != nil || rev.count(other.ID) != 1 {
		t.Fatalf("revoke on the other server: %v; revoked %d times", err, rev.count(other.ID))
	}
	if _, err := b.LookupLease(ctx, rootCaller, "staging/fake/creds/app/nosuchlease"); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("lookup of a lease no server has: %v, want ErrNotFound", err)
	}
}

// On a shared store no server expires leases from its unseal: only
// LeadLeases (run under the store's lock) does, and it first reads every
// stored lease, so a lease another server issued and that expired while
// no one led is revoked at once.
func TestLeadLeasesExpiresWhatOthersIssued(t *testing.T) {
	a, b, staging, rev, clock := twoVaults(t)
	l := issueFake(t, a, staging)
	clock.Advance(2 * time.Hour)
	if got, _ := b.LookupLease(context.Background(), rootCaller, l.ID); got == nil {
		t.Fatal("the lease is gone before any server leads")
	}
	if rev.count(l.ID) != 0 {
		t.Fatal("a server expired a lease without leading")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.LeadLeases(ctx, 0)
	}()
	select {
	case id := <-rev.done:
		if id != l.ID {
			t.Fatalf("the leader revoked %q, want %q", id, l.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not expire the other server's lease")
	}
	cancel()
	<-done
	if rev.count(l.ID) != 1 {
		t.Fatalf("revoked %d times, want 1", rev.count(l.ID))
	}
}

// On a store of one server (bolt, memory) LeadLeases has nothing to do:
// the scheduler runs from unseal.
func TestLeadLeasesOnOneServer(t *testing.T) {
	v, _ := newTestVault(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.LeadLeases(context.Background(), 0)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("LeadLeases runs on a store of one server")
	}
}
