package lease_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/lease/leasetest"
	"github.com/wardhq/ward/internal/storage/memory"
)

var (
	staging = lease.Env{Name: "staging", ID: "e1d2c3"}
	prod    = lease.Env{Name: "prod", ID: "f9a8b7"}
	t0      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// fakeRevoker is an engine that records what it is asked to take back and
// fails while down is set.
type fakeRevoker struct {
	mu      sync.Mutex
	down    bool
	revoked map[string]int // lease id → Revoke calls that succeeded
	renewed map[string]time.Time
	calls   int
	notify  chan string // if set, receives each revoked id
}

func newFakeRevoker() *fakeRevoker {
	return &fakeRevoker{revoked: map[string]int{}, renewed: map[string]time.Time{}}
}

var errDown = errors.New("database \"main\" unreachable")

func (r *fakeRevoker) Revoke(_ context.Context, l *lease.Lease) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.down {
		return errDown
	}
	r.revoked[l.ID]++
	if r.notify != nil {
		r.notify <- l.ID
	}
	return nil
}

func (r *fakeRevoker) Renew(_ context.Context, l *lease.Lease) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return errDown
	}
	r.renewed[l.ID] = l.ExpiresAt
	return nil
}

func (r *fakeRevoker) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func (r *fakeRevoker) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revoked[id]
}

func (r *fakeRevoker) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.revoked {
		n += c
	}
	return n
}

type fixture struct {
	t     testing.TB
	clock *leasetest.Clock
	b     *barrier.Barrier
	mem   *memory.Backend
	rev   *fakeRevoker
	m     *lease.Manager
	cfg   lease.Config
}

func newFixture(t testing.TB, tune ...func(*lease.Config)) *fixture {
	t.Helper()
	b, mem := leasetest.Barrier(t, staging.ID, prod.ID)
	f := &fixture{t: t, clock: leasetest.NewClock(t0), b: b, mem: mem, rev: newFakeRevoker()}
	f.cfg = lease.Config{
		Storage:   b,
		Revokers:  map[string]lease.Revoker{"database": f.rev},
		Now:       f.clock.Now,
		After:     f.clock.After,
		RetryBase: time.Second,
		RetryMax:  8 * time.Second,
		Logger:    slog.New(slog.DiscardHandler),
	}
	for _, fn := range tune {
		fn(&f.cfg)
	}
	f.m = lease.New(f.cfg)
	return f
}

// restart makes a new Manager over the same storage, as after a restart.
func (f *fixture) restart() {
	f.t.Helper()
	f.m = lease.New(f.cfg)
	if err := f.m.Recover(context.Background(), []lease.Env{staging, prod}); err != nil {
		f.t.Fatal(err)
	}
}

func req(env lease.Env, role, token string) lease.Request {
	return lease.Request{
		Env: env, Path: "database/creds/" + role, Kind: "database",
		Token: token, Identity: "id-" + token,
		TTL: time.Hour, MaxTTL: 4 * time.Hour, Renewable: true,
		Data: []byte(`{"username":"v-` + env.Name + `-` + role + `"}`),
	}
}

// noop is a create that makes nothing, after the lease is stored.
func noop(_ context.Context, _ *lease.Lease, stored func() error) error { return stored() }

func (f *fixture) issue(r lease.Request) *lease.Lease {
	f.t.Helper()
	l, _, err := f.m.Issue(context.Background(), r, noop)
	if err != nil {
		f.t.Fatalf("Issue: %v", err)
	}
	return l
}

func (f *fixture) tick() int {
	f.t.Helper()
	n, _ := f.m.Tick(context.Background())
	return n
}

func owner(l *lease.Lease) lease.Caller { return lease.Caller{Token: l.Token, EnvID: l.EnvID} }

var root = lease.Caller{Token: "root", Admin: true}
