package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/storage"
)

// LeaseAdminPath is the policy path whose update capability makes a token
// an administrator of the leases of its environment (every environment's,
// for a root token): it may look up, renew and revoke any of them,
// revoke a prefix, and list failed revocations.
const LeaseAdminPath = "sys/leases/admin"

// leaseState is the lease manager and the database engine of an unsealed
// vault, with the expiry scheduler that runs until the seal.
type leaseState struct {
	m    *lease.Manager
	db   *dbengine.Engine
	envs func() []lease.Env // the vault's environments now
	// sealed ends at the seal; stopLeases waits for every scheduler run.
	sealed  context.Context
	stop    context.CancelFunc
	mu      sync.Mutex
	stopped bool           // guarded by mu
	running sync.WaitGroup // scheduler runs
}

// startLeases loads every stored lease (Recover: those that expired while
// ward was down or sealed are revoked by the scheduler's first tick) and,
// on a store of one server (bolt, memory), starts the scheduler. On a
// shared store the scheduler runs only on the server that leads the
// lease work: see LeadLeases.
func (v *Vault) startLeases(ctx context.Context, u *unsealed) error {
	cfg := v.cfg.Leases
	cfg.Storage, cfg.Revokers, cfg.Logger = v.barrier, nil, v.cfg.Logger
	if cfg.Now == nil {
		cfg.Now = v.cfg.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = v.cfg.Rand
	}
	log := u.audit
	cfg.Notify = func(ev lease.Event) { auditLeaseEvent(log, v.cfg.Logger.Error, ev) }
	m := lease.New(cfg)
	db := dbengine.New(dbengine.Config{Storage: v.barrier, Leases: m, Rand: v.cfg.Rand, Logger: v.cfg.Logger, ConnectTimeout: v.cfg.DBConnectTimeout})
	st := &leaseState{m: m, db: db, envs: u.leaseEnvs}
	if err := m.Recover(ctx, st.envs()); err != nil {
		db.Close()
		return fmt.Errorf("loading the leases: %w", err)
	}
	st.sealed, st.stop = context.WithCancel(context.Background())
	u.leases = st
	if !v.sharedLeases() {
		st.running.Add(1)
		go func() {
			defer st.running.Done()
			m.Run(st.sealed)
		}()
	}
	return nil
}

// sharedLeases reports whether the store is shared by several servers,
// of which one (the holder of the store's lock) expires the leases.
func (v *Vault) sharedLeases() bool {
	_, ok := v.cfg.Storage.(storage.Locker)
	return ok
}

// leaseEnvs is the vault's environments, as the lease manager names them.
func (u *unsealed) leaseEnvs() []lease.Env {
	u.mu.RLock()
	defer u.mu.RUnlock()
	envs := make([]lease.Env, 0, len(u.envs))
	for _, e := range u.envs {
		envs = append(envs, lease.Env{Name: e.Name, ID: e.ID})
	}
	return envs
}

// stopLeases stops the scheduler and closes the engine's connections. The
// leases stay stored; the next unseal recovers them.
func (u *unsealed) stopLeases() {
	if u.leases == nil {
		return
	}
	st := u.leases
	st.mu.Lock()
	st.stopped = true
	st.mu.Unlock()
	st.stop()
	st.running.Wait()
	st.db.Close()
}

// DefaultLeaseReconcile is how often the server that expires the leases
// of a shared store reads them all again, to catch a change it was not
// told of (the change feed normally tells it within milliseconds).
const DefaultLeaseReconcile = time.Minute

// LeadLeases is the expiry of the leases on a store that several servers
// share: the server that holds the store's "leases" lock runs it (ward
// server runs it under that lock) until ctx ends. While unsealed it reads
// every stored lease again (so the leases another server issued, and those
// that expired while no server led, are due at once), runs the expiry
// scheduler, and reads them all again every reconcile (0: one minute);
// between reads the change feed brings what the other servers write. On a
// store of one server it returns at once: the scheduler runs from unseal.
func (v *Vault) LeadLeases(ctx context.Context, reconcile time.Duration) {
	if !v.sharedLeases() {
		return
	}
	if reconcile <= 0 {
		reconcile = DefaultLeaseReconcile
	}
	for ctx.Err() == nil {
		if st, err := v.leases(); err == nil && st != nil {
			st.lead(ctx, reconcile, v.cfg.Logger)
		}
		select { // sealed, or the seal ended the run: wait for an unseal
		case <-ctx.Done():
		case <-time.After(leadSealedPoll):
		}
	}
}

// leadSealedPoll is how often LeadLeases looks for an unseal.
const leadSealedPoll = 500 * time.Millisecond

// lead runs the scheduler until ctx ends or the vault seals.
func (st *leaseState) lead(ctx context.Context, reconcile time.Duration, logger *slog.Logger) {
	st.mu.Lock()
	if st.stopped {
		st.mu.Unlock()
		return
	}
	st.running.Add(1)
	st.mu.Unlock()
	defer st.running.Done()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(st.sealed, cancel)()
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.m.Run(runCtx)
	}()
	t := time.NewTicker(reconcile)
	defer t.Stop()
	for {
		if err := st.m.Reconcile(runCtx, st.envs()); err != nil && runCtx.Err() == nil {
			logger.Warn("reading the stored leases failed; trying again later", ErrorLogArgs(err)...)
		}
		select {
		case <-runCtx.Done():
			<-done
			return
		case <-t.C:
		}
	}
}

// followLeases makes the lease manager follow the lease records another
// server wrote, by environment ID (or all of them), and returns what it
// could not read, to try again.
func (u *unsealed) followLeases(ctx context.Context, all bool, keys map[string][]string, fail func(string, error) bool) (bool, map[string][]string) {
	if u.leases == nil {
		return false, nil
	}
	if all {
		return fail("the leases", u.leases.m.Reconcile(ctx, u.leases.envs())), nil
	}
	byID := map[string]lease.Env{}
	for _, e := range u.leases.envs() {
		byID[e.ID] = e
	}
	var left map[string][]string
	for id, rests := range keys {
		env, ok := byID[id]
		if !ok {
			continue // an environment this server does not know yet, or deleted
		}
		for _, rest := range rests {
			if fail("lease "+env.Name+"/"+rest, u.leases.m.Refresh(ctx, env, rest)) {
				if left == nil {
					left = map[string][]string{}
				}
				left[id] = append(left[id], rest)
			}
		}
	}
	return false, left
}

// auditLeaseEvent records a revocation or a failed one, which the
// scheduler does outside any request. The lease id and the error are
// public; the token's accessor is HMAC'd like every accessor.
func auditLeaseEvent(log *audit.Log, logErr func(string, ...any), ev lease.Event) {
	l := ev.Lease
	e := &audit.Entry{
		Type:        "event",
		Path:        "sys/leases/" + l.ID,
		Operation:   "lease-" + string(ev.Kind),
		Environment: l.Env,
		Accessor:    l.Token,
		Identity:    l.Identity,
		Meta:        map[string]string{"lease_id": l.ID, "lease_kind": l.Kind},
	}
	if ev.Err != nil {
		e.Error = ev.Err.Error()
	}
	if err := log.Write(context.Background(), e); err != nil {
		logErr("auditing a lease event failed", ErrorLogArgs(err, "lease_id", l.ID, "event", string(ev.Kind))...)
	}
}

// leases returns the unsealed vault's lease manager and engine.
func (v *Vault) leases() (*leaseState, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	return u.leases, nil
}

// leaseCaller is c as the lease manager sees it.
func leaseCaller(c *Caller) lease.Caller {
	return lease.Caller{
		Token: c.Token.Accessor,
		EnvID: c.Token.EnvID,
		Admin: c.Token.IsRoot() || c.ACL != nil && c.ACL.Check(LeaseAdminPath, policy.CapUpdate).Allowed,
	}
}

// leaseIdentity is who t stands for, for the per-identity lease quota:
// a login's identity, or a CI login's display name; "" for a plain token
// (only the per-token quota applies).
func leaseIdentity(t *auth.Token) string {
	if id := t.Meta[auth.IdentityMetaKey]; id != "" {
		return id
	}
	if t.DisplayName == "root" || t.DisplayName == "token" || strings.HasPrefix(t.DisplayName, "token-") {
		return ""
	}
	return t.DisplayName
}

// LookupLease returns lease id, for the token that got it or a lease admin
// of its environment.
func (v *Vault) LookupLease(ctx context.Context, c *Caller, id string) (*lease.Lease, error) {
	st, err := v.leases()
	if err != nil {
		return nil, err
	}
	var l *lease.Lease
	err = v.orFromStore(ctx, st, id, func() (err error) {
		l, err = st.m.Lookup(ctx, leaseCaller(c), id)
		return err
	})
	return l, err
}

// orFromStore runs op on lease id and, on a shared store, if this server
// does not know the lease, reads its record and runs op again: another
// server may have issued it a moment ago, before the change feed told
// this one.
func (v *Vault) orFromStore(ctx context.Context, st *leaseState, id string, op func() error) error {
	err := op()
	if !errors.Is(err, lease.ErrNotFound) || !v.sharedLeases() {
		return err
	}
	name, rest, _ := strings.Cut(id, "/")
	for _, env := range st.envs() {
		if env.Name == name {
			if rerr := st.m.Refresh(ctx, env, rest); rerr != nil {
				return fmt.Errorf("%w (reading it from the store: %w)", err, rerr)
			}
			return op()
		}
	}
	return err
}

// RenewLease extends lease id by increment (0: its TTL), capped at its
// max TTL with a warning.
func (v *Vault) RenewLease(ctx context.Context, c *Caller, id string, increment time.Duration) (*lease.Lease, []string, error) {
	st, err := v.leases()
	if err != nil {
		return nil, nil, err
	}
	var l *lease.Lease
	var warnings []string
	err = v.orFromStore(ctx, st, id, func() (err error) {
		l, warnings, err = st.m.Renew(ctx, leaseCaller(c), id, increment)
		return err
	})
	return l, warnings, err
}

// RevokeLease ends lease id and takes its credential back. A revocation
// that fails is kept and retried (a *lease.RevokeError).
func (v *Vault) RevokeLease(ctx context.Context, c *Caller, id string) error {
	st, err := v.leases()
	if err != nil {
		return err
	}
	return v.orFromStore(ctx, st, id, func() error { return st.m.Revoke(ctx, leaseCaller(c), id) })
}

// RevokeLeasePrefix ends every lease at or below prefix in c's environment;
// lease admins only.
func (v *Vault) RevokeLeasePrefix(ctx context.Context, c *Caller, prefix string) (int, error) {
	st, err := v.leases()
	if err != nil {
		return 0, err
	}
	return st.m.RevokePrefix(ctx, leaseCaller(c), prefix)
}

// ListLeases lists the names below prefix among the leases c may touch.
func (v *Vault) ListLeases(ctx context.Context, c *Caller, prefix string) ([]string, error) {
	st, err := v.leases()
	if err != nil {
		return nil, err
	}
	return st.m.List(ctx, leaseCaller(c), prefix)
}

// FailedLeases lists the revocations that failed and are being retried,
// in c's environment; lease admins only.
func (v *Vault) FailedLeases(ctx context.Context, c *Caller) ([]*lease.Lease, error) {
	st, err := v.leases()
	if err != nil {
		return nil, err
	}
	return st.m.Failed(ctx, leaseCaller(c))
}

// revokeTokenLeases ends the leases of t and of every token below it,
// before the tokens go. Revocations that fail are kept and retried by the
// scheduler (and audited), so they do not stop the token's revocation.
func (v *Vault) revokeTokenLeases(ctx context.Context, u *unsealed, t *auth.Token) error {
	if u.leases == nil {
		return nil
	}
	_, err := u.leases.m.RevokeToken(ctx, t.Accessor, u.tokens)
	if isRetriedRevocation(err, v) {
		return nil
	}
	return err
}

// isRetriedRevocation reports (and logs) whether err is revocations of a
// token's leases that failed and are retried by the scheduler (and
// audited), which do not stop the token's revocation.
func isRetriedRevocation(err error, v *Vault) bool {
	var re *lease.RevokeError
	if errors.As(err, &re) {
		v.cfg.Logger.Warn("some leases of a revoked token could not be revoked yet; they are retried", "failed", re.Failed, "first_lease", re.First)
		return true
	}
	return false
}

// revokeEnvLeases ends every lease of env before it is deleted. A
// revocation that fails keeps the environment: its key is needed to reach
// the database again, and the retry must not be lost.
func (v *Vault) revokeEnvLeases(ctx context.Context, u *unsealed, env *Env) error {
	if u.leases == nil {
		return nil
	}
	_, err := u.leases.m.RevokeEnv(ctx, env.ID)
	var re *lease.RevokeError
	if errors.As(err, &re) {
		return refuse(KindConflict, "environment %q keeps %d leases whose revocation failed (first %q: %v), so it is not deleted; hint: bring the database back (they are retried), check `ward lease list --failed`, then delete again", env.Name, re.Failed, re.First, re.Err)
	}
	return err
}
