package lease_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/storage"
)

var ctx = context.Background()

func TestIssueLookupExpire(t *testing.T) {
	f := newFixture(t)
	l := f.issue(req(staging, "app", "tokA"))
	if !strings.HasPrefix(l.ID, "staging/database/creds/app/") || len(l.ID) != len("staging/database/creds/app/")+24 {
		t.Fatalf("lease id %q: want staging/database/creds/app/ and 24 random characters", l.ID)
	}
	if !l.ExpiresAt.Equal(t0.Add(time.Hour)) || !l.Limit.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("expires %v limit %v: want issue+1h and issue+4h", l.ExpiresAt, l.Limit)
	}
	got, err := f.m.Lookup(ctx, owner(l), l.ID)
	if err != nil || got.ID != l.ID || got.TTLAt(t0) != time.Hour {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}

	f.clock.Advance(59 * time.Minute)
	if n := f.tick(); n != 0 || f.rev.count(l.ID) != 0 {
		t.Fatalf("revoked %d a minute before expiry", n)
	}
	f.clock.Advance(time.Minute)
	if n := f.tick(); n != 1 || f.rev.count(l.ID) != 1 {
		t.Fatalf("at expiry: Tick revoked %d, revoker saw %d; want 1", n, f.rev.count(l.ID))
	}
	if _, err := f.m.Lookup(ctx, owner(l), l.ID); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("Lookup after expiry: %v, want ErrNotFound", err)
	}
	if keys, _ := f.b.List(ctx, "env/"+staging.ID+"/leases/database/creds/app/"); len(keys) != 0 {
		t.Fatalf("records left after expiry: %v", keys)
	}
}

func TestRecordSealedWithEnvKey(t *testing.T) {
	f := newFixture(t)
	r := req(staging, "app", "tokA")
	r.Data = []byte(`{"username":"marker-7q2w9x"}`)
	l := f.issue(r)
	key := "env/" + staging.ID + "/leases/" + strings.TrimPrefix(l.ID, "staging/")
	raw, err := f.mem.Get(ctx, key)
	if err != nil {
		t.Fatalf("no record at %s: %v", key, err)
	}
	if bytes.Contains(raw.Value, []byte("marker-7q2w9x")) || bytes.Contains(raw.Value, []byte("tokA")) {
		t.Fatal("the stored record holds plaintext")
	}
	// Only environment staging's key opens it: destroying that key makes
	// it unreadable.
	if err := f.b.DestroyEnvKey(ctx, staging.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.b.Get(ctx, key); err == nil {
		t.Fatal("record still readable after its environment's key was destroyed")
	}
}

func TestCreateFailureLeavesNothing(t *testing.T) {
	f := newFixture(t, func(c *lease.Config) { c.MaxPerToken = 1 })
	boom := errors.New("creation statement 1 failed")
	var seen *lease.Lease
	_, _, err := f.m.Issue(ctx, req(staging, "app", "tokA"), func(_ context.Context, l *lease.Lease, stored func() error) error {
		seen = l
		// Once stored returns, the record is on disk.
		if err := stored(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.b.Get(ctx, "env/"+staging.ID+"/leases/"+strings.TrimPrefix(l.ID, "staging/")); err != nil {
			t.Errorf("record not stored when stored() returned: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Issue: %v, want create's error", err)
	}
	if _, err := f.b.Get(ctx, "env/"+staging.ID+"/leases/"+strings.TrimPrefix(seen.ID, "staging/")); err == nil {
		t.Fatal("record left after a failed create")
	}
	if n, _ := f.m.Counts(); n != 0 {
		t.Fatalf("%d leases live after a failed create", n)
	}
	// The quota slot is free again.
	f.issue(req(staging, "app", "tokA"))
}

func TestTTLCaps(t *testing.T) {
	f := newFixture(t)
	r := req(staging, "app", "tokA")
	r.TTL, r.MaxTTL = 10*time.Hour, 2*time.Hour
	l, warnings, err := f.m.Issue(ctx, r, noop)
	if err != nil {
		t.Fatal(err)
	}
	if l.TTL != 2*time.Hour || !l.ExpiresAt.Equal(t0.Add(2*time.Hour)) || len(warnings) != 1 || !strings.Contains(warnings[0], "max_ttl") {
		t.Fatalf("TTL above max: ttl %s, expires %v, warnings %q; want capped at 2h with a warning", l.TTL, l.ExpiresAt, warnings)
	}
	// No lease outlives its token.
	r = req(staging, "app", "tokB")
	r.TokenExpires = t0.Add(30 * time.Minute)
	l, warnings, err = f.m.Issue(ctx, r, noop)
	if err != nil {
		t.Fatal(err)
	}
	if !l.ExpiresAt.Equal(t0.Add(30*time.Minute)) || !l.Limit.Equal(l.ExpiresAt) || len(warnings) != 1 {
		t.Fatalf("token expiring in 30m: expires %v limit %v warnings %q", l.ExpiresAt, l.Limit, warnings)
	}
}

func TestIssueRefusesBadRequests(t *testing.T) {
	f := newFixture(t)
	for name, mod := range map[string]func(*lease.Request){
		"no token":        func(r *lease.Request) { r.Token = "" },
		"zero ttl":        func(r *lease.Request) { r.TTL = 0 },
		"unknown kind":    func(r *lease.Request) { r.Kind = "ssh" },
		"dotdot path":     func(r *lease.Request) { r.Path = "database/../creds" },
		"empty segment":   func(r *lease.Request) { r.Path = "database//creds" },
		"no env id":       func(r *lease.Request) { r.Env.ID = "" },
		"slash env":       func(r *lease.Request) { r.Env.Name = "a/b" },
		"space in path":   func(r *lease.Request) { r.Path = "database/creds/a b" },
		"expired token":   func(r *lease.Request) { r.TokenExpires = t0 },
		"control in path": func(r *lease.Request) { r.Path = "database/creds/a\x00" },
	} {
		r := req(staging, "app", "tokA")
		mod(&r)
		called := false
		_, _, err := f.m.Issue(ctx, r, func(context.Context, *lease.Lease, func() error) error { called = true; return nil })
		if !errors.Is(err, lease.ErrInvalid) || called {
			t.Errorf("%s: err %v, create called %v; want ErrInvalid before create", name, err, called)
		}
	}
	if n, _ := f.m.Counts(); n != 0 {
		t.Fatalf("%d leases after refused requests", n)
	}
}

func TestAccess(t *testing.T) {
	f := newFixture(t)
	l := f.issue(req(staging, "app", "tokA"))
	for _, tc := range []struct {
		name string
		who  lease.Caller
		ok   bool
	}{
		{"its token", lease.Caller{Token: "tokA", EnvID: staging.ID}, true},
		{"another token", lease.Caller{Token: "tokB", EnvID: staging.ID}, false},
		{"its token name in another env", lease.Caller{Token: "tokA", EnvID: prod.ID}, false},
		{"staging admin", lease.Caller{Token: "adm", EnvID: staging.ID, Admin: true}, true},
		{"prod admin", lease.Caller{Token: "adm", EnvID: prod.ID, Admin: true}, false},
		{"root", root, true},
	} {
		_, err := f.m.Lookup(ctx, tc.who, l.ID)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, lease.ErrPermissionDenied) {
			t.Errorf("%s: Lookup err %v", tc.name, err)
		}
		_, _, err = f.m.Renew(ctx, tc.who, l.ID, 0)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, lease.ErrPermissionDenied) {
			t.Errorf("%s: Renew err %v", tc.name, err)
		}
		if !tc.ok {
			if err := f.m.Revoke(ctx, tc.who, l.ID); !errors.Is(err, lease.ErrPermissionDenied) {
				t.Errorf("%s: Revoke err %v", tc.name, err)
			}
		}
	}
	if f.rev.total() != 0 {
		t.Fatal("a refused caller revoked a lease")
	}
	if err := f.m.Revoke(ctx, owner(l), l.ID); err != nil || f.rev.count(l.ID) != 1 {
		t.Fatalf("its token's Revoke: %v", err)
	}
	for _, id := range []string{"", "staging", "staging/../x", strings.Repeat("a/", 300)} {
		if _, err := f.m.Lookup(ctx, root, id); !errors.Is(err, lease.ErrInvalid) {
			t.Errorf("Lookup(%q): %v, want ErrInvalid", id, err)
		}
	}
}

func TestRenew(t *testing.T) {
	f := newFixture(t)
	l := f.issue(req(staging, "app", "tokA")) // TTL 1h, max 4h
	f.clock.Advance(30 * time.Minute)
	got, warnings, err := f.m.Renew(ctx, owner(l), l.ID, 0)
	if err != nil || !got.ExpiresAt.Equal(t0.Add(90*time.Minute)) || len(warnings) != 0 {
		t.Fatalf("Renew: expires %v, warnings %q, err %v; want now+1h", got.ExpiresAt, warnings, err)
	}
	if !f.rev.renewed[l.ID].Equal(got.ExpiresAt) {
		t.Fatalf("the engine's Renewer was told %v, want %v", f.rev.renewed[l.ID], got.ExpiresAt)
	}
	// The old expiry no longer fires.
	f.clock.Advance(31 * time.Minute)
	if n := f.tick(); n != 0 {
		t.Fatal("a renewed lease was revoked at its old expiry")
	}
	// Past max TTL: capped, with a warning.
	got, warnings, err = f.m.Renew(ctx, owner(l), l.ID, 10*time.Hour)
	if err != nil || !got.ExpiresAt.Equal(t0.Add(4*time.Hour)) || len(warnings) != 1 || !strings.Contains(warnings[0], "max_ttl") {
		t.Fatalf("Renew past max: expires %v, warnings %q, err %v", got.ExpiresAt, warnings, err)
	}
	// At the cap: unchanged, said so.
	got, warnings, err = f.m.Renew(ctx, owner(l), l.ID, time.Hour)
	if err != nil || !got.ExpiresAt.Equal(t0.Add(4*time.Hour)) || len(warnings) != 1 || !strings.Contains(warnings[0], "not extended") {
		t.Fatalf("Renew at max: expires %v, warnings %q, err %v", got.ExpiresAt, warnings, err)
	}
	// The renewal is stored: a restart keeps it.
	f.restart()
	if got, _ := f.m.Lookup(ctx, owner(l), l.ID); !got.ExpiresAt.Equal(t0.Add(4 * time.Hour)) {
		t.Fatalf("after restart expires %v", got.ExpiresAt)
	}
	f.clock.Advance(4 * time.Hour)
	if _, _, err := f.m.Renew(ctx, owner(l), l.ID, 0); !errors.Is(err, lease.ErrExpired) {
		t.Fatalf("Renew of an expired lease: %v", err)
	}
	// An engine that cannot renew leaves the lease as it was.
	r := req(staging, "app", "tokB")
	l2 := f.issue(r)
	f.clock.Advance(time.Minute)
	f.rev.setDown(true)
	if _, _, err := f.m.Renew(ctx, owner(l2), l2.ID, 0); !errors.Is(err, errDown) {
		t.Fatalf("Renew with the engine down: %v", err)
	}
	if got, _ := f.m.Lookup(ctx, owner(l2), l2.ID); !got.ExpiresAt.Equal(l2.ExpiresAt) {
		t.Fatalf("a refused renewal moved the expiry to %v", got.ExpiresAt)
	}
	f.rev.setDown(false)
	r.Renewable = false
	l3 := f.issue(r)
	if _, _, err := f.m.Renew(ctx, owner(l3), l3.ID, 0); !errors.Is(err, lease.ErrNotRenewable) {
		t.Fatalf("Renew of a non-renewable lease: %v", err)
	}
}

func TestFailedRevocationRetriedNeverDropped(t *testing.T) {
	f := newFixture(t) // retry 1s doubling to 8s
	l := f.issue(req(staging, "app", "tokA"))
	f.rev.setDown(true)
	err := f.m.Revoke(ctx, owner(l), l.ID)
	var rerr *lease.RevokeError
	if !errors.As(err, &rerr) || !errors.Is(err, lease.ErrRevokeFailed) || !errors.Is(err, errDown) || rerr.Failed != 1 {
		t.Fatalf("Revoke with the database down: %v", err)
	}
	failedList := func() []*lease.Lease {
		t.Helper()
		ls, err := f.m.Failed(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	if ls := failedList(); len(ls) != 1 || ls[0].ID != l.ID || ls[0].Failure.Attempts != 1 ||
		ls[0].Failure.LastError != errDown.Error() || !ls[0].Failure.NextAttempt.Equal(t0.Add(time.Second)) {
		t.Fatalf("Failed = %+v", ls)
	}
	if _, err := f.m.Failed(ctx, owner(l)); !errors.Is(err, lease.ErrPermissionDenied) {
		t.Fatalf("Failed for a non-admin: %v", err)
	}
	// Backoff: 1s, 2s, 4s, 8s, 8s.
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		f.clock.Advance(wait - time.Millisecond)
		calls := f.rev.calls
		f.tick()
		if f.rev.calls != calls {
			t.Fatalf("retry %d ran before its backoff of %s", i+1, wait)
		}
		f.clock.Advance(time.Millisecond)
		f.tick()
		if f.rev.calls != calls+1 {
			t.Fatalf("retry %d did not run after %s", i+1, wait)
		}
	}
	if ls := failedList(); len(ls) != 1 || ls[0].Failure.Attempts != 6 {
		t.Fatalf("after 6 failures Failed = %+v", ls)
	}
	// A restart keeps the failure, and the retry.
	f.restart()
	if ls := failedList(); len(ls) != 1 || ls[0].Failure.Attempts != 6 {
		t.Fatalf("after restart Failed = %+v", ls)
	}
	f.rev.setDown(false)
	f.clock.Advance(8 * time.Second)
	if n := f.tick(); n != 1 || f.rev.count(l.ID) != 1 || len(failedList()) != 0 {
		t.Fatalf("once the database is back: revoked %d, Failed %d", n, len(failedList()))
	}
	f.restart()
	if len(failedList()) != 0 {
		t.Fatal("a revoked lease came back after restart")
	}
}

func TestRecoverRevokesWhatExpiredWhileDown(t *testing.T) {
	f := newFixture(t)
	short := req(staging, "app", "tokA")
	short.TTL = 10 * time.Minute
	gone := f.issue(short)
	kept := f.issue(req(prod, "app", "tokB"))
	f.clock.Advance(20 * time.Minute) // down (or sealed) meanwhile
	f.restart()
	if n := f.tick(); n != 1 || f.rev.count(gone.ID) != 1 || f.rev.count(kept.ID) != 0 {
		t.Fatalf("first Tick after Recover revoked %d (expired %d, live %d)", n, f.rev.count(gone.ID), f.rev.count(kept.ID))
	}
	if _, err := f.m.Lookup(ctx, owner(kept), kept.ID); err != nil {
		t.Fatalf("live lease lost by Recover: %v", err)
	}
}

func TestQuotas(t *testing.T) {
	f := newFixture(t, func(c *lease.Config) { c.MaxPerToken, c.MaxPerIdentity = 3, 4 })
	var first *lease.Lease
	for i := range 3 {
		l := f.issue(req(staging, "app", "tokA"))
		if i == 0 {
			first = l
		}
		f.clock.Advance(time.Minute)
	}
	_, _, err := f.m.Issue(ctx, req(staging, "app", "tokA"), noop)
	var q *lease.QuotaError
	if !errors.As(err, &q) || !errors.Is(err, lease.ErrQuota) || q.Scope != "token" || q.Name != "tokA" || q.Limit != 3 {
		t.Fatalf("4th lease of a token: %v", err)
	}
	if q.RetryAfter != 57*time.Minute {
		t.Fatalf("RetryAfter %s, want 57m (when the first lease expires)", q.RetryAfter)
	}
	// Identity: the same identity through another token.
	r := req(staging, "app", "tokB")
	r.Identity = "id-tokA"
	f.issue(r)
	if _, _, err := f.m.Issue(ctx, r, noop); !errors.As(err, &q) || q.Scope != "identity" {
		t.Fatalf("5th lease of an identity: %v", err)
	}
	// A revoked lease frees its slot.
	if err := f.m.Revoke(ctx, owner(first), first.ID); err != nil {
		t.Fatal(err)
	}
	f.issue(req(staging, "app", "tokA"))
	// Quotas survive a restart.
	f.restart()
	if _, _, err := f.m.Issue(ctx, req(staging, "app", "tokA"), noop); !errors.As(err, &q) {
		t.Fatalf("after restart: %v, want a quota error", err)
	}
}

type tree map[string][]string

func (tr tree) Subtree(_ context.Context, acc string) ([]string, error) {
	out := []string{acc}
	for _, c := range tr[acc] {
		sub, _ := tr.Subtree(ctx, c)
		out = append(out, sub...)
	}
	return out, nil
}

func TestRevokeTokenTakesChildren(t *testing.T) {
	f := newFixture(t)
	parent := f.issue(req(staging, "app", "parent"))
	child := f.issue(req(staging, "app", "child"))
	grandchild := f.issue(req(staging, "ro", "grandchild"))
	other := f.issue(req(staging, "app", "other"))
	n, err := f.m.RevokeToken(ctx, "parent", tree{"parent": {"child"}, "child": {"grandchild"}})
	if err != nil || n != 3 {
		t.Fatalf("RevokeToken = %d, %v; want 3", n, err)
	}
	for _, l := range []*lease.Lease{parent, child, grandchild} {
		if f.rev.count(l.ID) != 1 {
			t.Errorf("lease of %s not revoked", l.Token)
		}
	}
	if f.rev.count(other.ID) != 0 {
		t.Error("another token's lease was revoked")
	}
}

func TestRevokePrefix(t *testing.T) {
	f := newFixture(t)
	var app []*lease.Lease
	for range 5 {
		app = append(app, f.issue(req(staging, "app", "tokA")))
	}
	app2 := f.issue(req(staging, "app2", "tokA"))
	prodApp := f.issue(req(prod, "app", "tokA"))

	if _, err := f.m.RevokePrefix(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, "staging/database/creds/app"); !errors.Is(err, lease.ErrPermissionDenied) {
		t.Fatalf("revoke-prefix by a non-admin: %v", err)
	}
	if n, err := f.m.RevokePrefix(ctx, lease.Caller{Token: "adm", EnvID: prod.ID, Admin: true}, "staging/database/creds/app"); err != nil || n != 0 {
		t.Fatalf("prod admin's revoke-prefix of staging = %d, %v; want 0", n, err)
	}
	n, err := f.m.RevokePrefix(ctx, lease.Caller{Token: "adm", EnvID: staging.ID, Admin: true}, "staging/database/creds/app/")
	if err != nil || n != 5 {
		t.Fatalf("RevokePrefix = %d, %v; want 5", n, err)
	}
	for _, l := range app {
		if f.rev.count(l.ID) != 1 {
			t.Fatalf("%s not revoked", l.ID)
		}
	}
	if f.rev.count(app2.ID) != 0 || f.rev.count(prodApp.ID) != 0 {
		t.Fatal("revoke-prefix reached past its prefix (app2, or prod)")
	}
	if keys, _ := f.b.List(ctx, "env/"+staging.ID+"/leases/database/creds/app/"); len(keys) != 0 {
		t.Fatalf("records left: %v", keys)
	}
}

func TestRevokePrefixPartialFailure(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.issue(req(staging, "app", "tokA"))
	}
	f.rev.setDown(true)
	n, err := f.m.RevokePrefix(ctx, root, "staging/database")
	var rerr *lease.RevokeError
	if n != 0 || !errors.As(err, &rerr) || rerr.Failed != 3 || !strings.Contains(err.Error(), "3 revocations failed") {
		t.Fatalf("RevokePrefix with the database down = %d, %v", n, err)
	}
	if ls, _ := f.m.Failed(ctx, root); len(ls) != 3 {
		t.Fatalf("Failed lists %d, want 3", len(ls))
	}
}

func TestList(t *testing.T) {
	f := newFixture(t)
	a := f.issue(req(staging, "app", "tokA"))
	f.issue(req(staging, "ro", "tokB"))
	got, err := f.m.List(ctx, root, "staging/database/creds")
	if err != nil || strings.Join(got, ",") != "app/,ro/" {
		t.Fatalf("List = %q, %v", got, err)
	}
	got, _ = f.m.List(ctx, owner(a), "staging/database/creds/")
	if strings.Join(got, ",") != "app/" {
		t.Fatalf("tokA's List = %q: want only its own", got)
	}
	got, _ = f.m.List(ctx, owner(a), "staging/database/creds/app")
	if len(got) != 1 || "staging/database/creds/app/"+got[0] != a.ID {
		t.Fatalf("List of app = %q", got)
	}
}

func TestRevokedWhileIssuing(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.m.Issue(ctx, req(staging, "app", "tokA"), func(ctx context.Context, l *lease.Lease, stored func() error) error {
		stored()
		// The token is revoked while its credential is being made.
		if _, err := f.m.RevokeToken(ctx, "tokA", nil); err != nil {
			t.Error(err)
		}
		return nil
	})
	if !errors.Is(err, lease.ErrExpired) || f.rev.total() != 1 {
		t.Fatalf("Issue racing its token's revocation: %v, revoked %d; want the credential taken back", err, f.rev.total())
	}
}

func TestRunUsesTheClock(t *testing.T) {
	f := newFixture(t)
	f.rev.notify = make(chan string, 4)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { f.m.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	l := f.issue(req(staging, "app", "tokA"))
	f.clock.Advance(time.Hour)
	select {
	case id := <-f.rev.notify:
		if id != l.ID {
			t.Fatalf("revoked %s, want %s", id, l.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not revoke the lease at its expiry")
	}
}

func TestMaybeCreatedIsRevoked(t *testing.T) {
	f := newFixture(t)
	var id string
	_, _, err := f.m.Issue(ctx, req(staging, "app", "tokA"), func(_ context.Context, l *lease.Lease, stored func() error) error {
		stored()
		id = l.ID
		return fmt.Errorf("commit: connection reset: %w", lease.ErrMaybeCreated)
	})
	if !errors.Is(err, lease.ErrMaybeCreated) {
		t.Fatalf("Issue: %v", err)
	}
	if ls, _ := f.m.Failed(ctx, root); len(ls) != 1 || ls[0].ID != id {
		t.Fatalf("Failed = %v, want the uncertain lease kept", ls)
	}
	f.clock.Advance(time.Second)
	if n := f.tick(); n != 1 || f.rev.count(id) != 1 {
		t.Fatalf("uncertain credential not revoked at the first retry (%d)", n)
	}
}

// batchRevoker is a fakeRevoker that also takes batches, and refuses
// lease ids in bad.
type batchRevoker struct {
	*fakeRevoker
	batches []int
	bad     map[string]bool
}

func (b *batchRevoker) RevokeBatch(ctx context.Context, ls []*lease.Lease) []error {
	b.mu.Lock()
	b.batches = append(b.batches, len(ls))
	b.mu.Unlock()
	errs := make([]error, len(ls))
	for i, l := range ls {
		if b.bad[l.ID] {
			errs[i] = errDown
			continue
		}
		errs[i] = b.Revoke(ctx, l)
	}
	return errs
}

func TestBatchRevoker(t *testing.T) {
	br := &batchRevoker{fakeRevoker: newFakeRevoker(), bad: map[string]bool{}}
	f := newFixture(t, func(c *lease.Config) {
		c.Revokers = map[string]lease.Revoker{"database": br}
		c.MaxPerToken = -1
		c.MaxPerIdentity = -1
	})
	var bad *lease.Lease
	for i := range 2100 {
		l := f.issue(req(staging, "app", "tokA"))
		if i == 7 {
			bad = l
			br.bad[l.ID] = true
		}
	}
	n, err := f.m.RevokePrefix(ctx, root, "staging")
	var rerr *lease.RevokeError
	if n != 2099 || !errors.As(err, &rerr) || rerr.Failed != 1 || rerr.First != bad.ID {
		t.Fatalf("RevokePrefix = %d, %v; want 2099 and the one refused", n, err)
	}
	total := 0
	for _, b := range br.batches {
		if b > 1024 {
			t.Fatalf("a batch of %d leases, more than 1024", b)
		}
		total += b
	}
	if total != 2100 || len(br.batches) != 3 {
		t.Fatalf("batches %v: want 2100 leases in 3", br.batches)
	}
	if ls, _ := f.m.Failed(ctx, root); len(ls) != 1 || ls[0].ID != bad.ID {
		t.Fatalf("Failed = %v", ls)
	}
}

// failingPuts is a storage whose Puts fail while down is set.
type failingPuts struct {
	storage.Backend
	down atomic.Bool
}

func (f *failingPuts) Put(ctx context.Context, e *storage.Entry) error {
	if f.down.Load() {
		return errors.New("disk full")
	}
	return f.Backend.Put(ctx, e)
}

func TestStorageFailureMakesNoCredential(t *testing.T) {
	var st *failingPuts
	f := newFixture(t, func(c *lease.Config) {
		st = &failingPuts{Backend: c.Storage}
		c.Storage = st
		c.MaxPerToken = 1
	})
	st.down.Store(true)
	made := false
	_, _, err := f.m.Issue(ctx, req(staging, "app", "tokA"), func(_ context.Context, _ *lease.Lease, stored func() error) error {
		if err := stored(); err != nil {
			return err // undo: nothing was committed
		}
		made = true
		return nil
	})
	if err == nil || made || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Issue with storage failing: %v (made %v)", err, made)
	}
	if n, failing := f.m.Counts(); n != 0 || failing != 0 {
		t.Fatalf("%d live, %d failing after a refused issue", n, failing)
	}
	// A create that ignores stored and makes the credential anyway: the
	// lease is kept in memory and the credential taken back.
	_, _, err = f.m.Issue(ctx, req(staging, "app", "tokA"), func(context.Context, *lease.Lease, func() error) error { return nil })
	if !errors.Is(err, lease.ErrMaybeCreated) {
		t.Fatalf("create ignoring stored: %v", err)
	}
	st.down.Store(false)
	f.clock.Advance(time.Second)
	if n := f.tick(); n != 1 {
		t.Fatalf("the credential made without a stored lease was not revoked (%d)", n)
	}
}

func TestNotify(t *testing.T) {
	var mu sync.Mutex
	var events []string
	f := newFixture(t, func(c *lease.Config) {
		c.Notify = func(ev lease.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("%s %s %v", ev.Kind, ev.Lease.Token, ev.Err))
		}
	})
	f.issue(req(staging, "app", "tokA"))
	f.rev.setDown(true)
	f.clock.Advance(time.Hour)
	f.tick()
	f.rev.setDown(false)
	f.clock.Advance(time.Second)
	f.tick()
	want := []string{"revoke-failed tokA " + errDown.Error(), "revoked tokA <nil>"}
	if strings.Join(events, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", events, want)
	}
}

// TestConcurrentUse: issuing, renewing, revoking and expiring at once keeps
// the counts right (run with -race).
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, func(c *lease.Config) { c.MaxPerToken, c.MaxPerIdentity = -1, -1 })
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := fmt.Sprintf("tok%d", w)
			for i := range 50 {
				l, _, err := f.m.Issue(ctx, req(staging, "app", tok), noop)
				if err != nil {
					t.Error(err)
					return
				}
				switch i % 3 {
				case 0:
					f.m.Renew(ctx, owner(l), l.ID, 0)
				case 1:
					f.m.Revoke(ctx, owner(l), l.ID)
				}
				if i%10 == 0 {
					f.m.Tick(ctx)
				}
			}
		}()
	}
	wg.Wait()
	live, _ := f.m.Counts()
	if want := 400 - f.rev.total(); live != want {
		t.Fatalf("%d live leases, want %d (400 issued, %d revoked)", live, want, f.rev.total())
	}
	f.clock.Advance(5 * time.Hour)
	f.tick()
	if live, _ := f.m.Counts(); live != 0 || f.rev.total() != 400 {
		t.Fatalf("after every expiry: %d live, %d revoked", live, f.rev.total())
	}
	if keys, _ := f.b.List(ctx, "env/"+staging.ID+"/leases/database/creds/app/"); len(keys) != 0 {
		t.Fatalf("%d records left", len(keys))
	}
}
