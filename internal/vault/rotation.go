package vault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/secrets"
)

// Rotation, retirement and breach drills (package rotate) over the real
// store. rotStore (rotation_store.go) is the Store, Graveyard and
// Consumers; the engines are the KV Rotator and the database engine's
// static roles; every event is audited (Type "event", Operation
// "rotation-KIND", the drill id in Meta). RunRotations runs Recover, then
// the Scheduler, while the vault is unsealed.

// DefaultRotateInterval is how often RunRotations looks for due secrets.
const DefaultRotateInterval = time.Minute

// schedulerWorkers bounds the scheduled rotations run at once: few, so
// that thousands due together do not crowd out reads (see the README's
// figures); a drill runs its own, more.
const schedulerWorkers = 2

// rotation is the unsealed vault's rotation service.
type rotation struct {
	rot   *rotate.Rotator
	sched *rotate.Scheduler
	drill *rotate.Driller

	mu        sync.Mutex
	recovered bool // Recover has run since this unseal
}

func (v *Vault) startRotation(u *unsealed) {
	log := u.audit
	events := func(ev rotate.Event) {
		v.auditRotateEvent(log, ev)
		if v.cfg.OnRotation != nil {
			v.cfg.OnRotation(string(ev.Kind))
		}
	}
	leases := leaseRevoker{v}
	store := rotStore{v}
	rot := rotate.New(rotate.Config{Store: store, Consumers: store, Graveyard: store, Leases: leases,
		Types: v.Type, Events: events, Now: v.cfg.Now, Rand: v.cfg.Rand})
	static := staticEngine{v}
	u.rotation = &rotation{
		rot: rot,
		sched: rotate.NewScheduler(rotate.SchedulerConfig{Engines: []rotate.Engine{rot, static}, Events: events, Now: v.cfg.Now, RetryBase: v.cfg.RotateRetry,
			Workers: schedulerWorkers}),
		drill: rotate.NewDriller(rotate.DrillConfig{Engines: []rotate.Engine{rot, static}, Leases: leases, Readers: tokenReaders{v}, Now: v.cfg.Now, Rand: v.cfg.Rand}),
	}
}

func (v *Vault) rotation() (*rotation, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	return u.rotation, nil
}

// auditRotateEvent writes one rotation event. It carries paths, versions,
// owners and reasons, never a value.
func (v *Vault) auditRotateEvent(log *audit.Log, ev rotate.Event) {
	meta := map[string]string{"kind": string(ev.Kind)}
	add := func(k, val string) {
		if val != "" {
			meta[k] = val
		}
	}
	add("drill_id", ev.DrillID)
	add("owner", ev.Owner)
	add("reason", ev.Reason)
	if ev.From > 0 {
		meta["from_version"] = fmt.Sprint(ev.From)
	}
	if ev.To > 0 {
		meta["to_version"] = fmt.Sprint(ev.To)
	}
	if ev.Attempts > 0 {
		meta["attempts"] = fmt.Sprint(ev.Attempts)
	}
	e := &audit.Entry{Type: "event", Path: ev.Env + "/" + ev.Path, Operation: "rotation-" + string(ev.Kind), Environment: ev.Env, Meta: meta}
	if ev.Kind == rotate.EventFailed {
		e.Error = ev.Reason
	}
	if err := log.Write(context.Background(), e); err != nil {
		v.cfg.Logger.Error("auditing a rotation event failed", ErrorLogArgs(err, "env", ev.Env, "event", string(ev.Kind))...)
	}
}

// RunRotations finishes or rolls back what a crash left half done
// (Recover, once per unseal), then rotates what is due every interval (0:
// DefaultRotateInterval), until ctx ends. Sealed, it waits. Run it on one
// server at a time (the run-once lock).
func (v *Vault) RunRotations(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultRotateInterval
	}
	for {
		if err := v.RotateDue(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrSealed) {
			v.cfg.Logger.Warn("scheduled rotation", ErrorLogArgs(err)...)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// RotateDue runs Recover if it has not run since the unseal, then one tick
// of the scheduler: retire what is past its overlap, rotate what is due.
func (v *Vault) RotateDue(ctx context.Context) error {
	r, err := v.rotation()
	if err != nil {
		return err
	}
	r.mu.Lock()
	if !r.recovered {
		if err := r.rot.Recover(ctx); err != nil {
			v.cfg.Logger.Warn("recovering unfinished rotations", ErrorLogArgs(err)...)
		}
		if n, err := (rotStore{v}).finishBurials(ctx); err != nil {
			v.cfg.Logger.Warn("finishing interrupted retirements", ErrorLogArgs(err)...)
		} else if n > 0 {
			v.cfg.Logger.Info("finished retirements a crash had cut short", "secrets", n)
		}
		r.recovered = true
	}
	r.mu.Unlock()
	_, err = r.sched.Tick(ctx)
	return err
}

// RecoverRotations finishes or rolls back the rotations a crash left half
// done. RotateDue runs it once per unseal; it is here for tests and tools.
func (v *Vault) RecoverRotations(ctx context.Context) error {
	r, err := v.rotation()
	if err != nil {
		return err
	}
	if err := r.rot.Recover(ctx); err != nil {
		return err
	}
	_, err = rotStore{v}.finishBurials(ctx)
	return err
}

// RotationFailures lists the secrets whose scheduled rotation failed (with
// its reason; the old value stays current) or needs a person.
func (v *Vault) RotationFailures() ([]rotate.Failure, error) {
	r, err := v.rotation()
	if err != nil {
		return nil, err
	}
	return r.sched.Failures(), nil
}

// RotateSecret gives env's secret at p a new value now (`ward kv
// rotate`). The caller was authorized by the server (update on the
// secret).
func (e *Env) RotateSecret(ctx context.Context, c *Caller, p string) (*rotate.Result, error) {
	r, err := e.v.rotation()
	if err != nil {
		return nil, err
	}
	return r.rot.Rotate(ctx, e.Name, p, rotate.Options{Reason: "manual by " + callerName(c)})
}

// RetireSecret ends env's secret at p for good and returns its tombstone.
func (e *Env) RetireSecret(ctx context.Context, c *Caller, p, reason string) (*rotate.Tombstone, error) {
	r, err := e.v.rotation()
	if err != nil {
		return nil, err
	}
	if len(reason) > 512 {
		return nil, refuse(KindInvalid, "the reason is longer than 512 characters")
	}
	if name, ok := strings.CutPrefix(p, rotate.StaticPrefix); ok {
		return e.retireStatic(ctx, c, name, reason)
	}
	return r.rot.Retire(ctx, rotate.RetireRequest{Env: e.Name, Path: p, By: callerName(c), Reason: reason})
}

// retireStatic retires static role name: both users of a pair lose their
// passwords at the database, the role is deleted, and a tombstone answers
// static-creds/NAME (410) from then on.
func (e *Env) retireStatic(ctx context.Context, c *Caller, name, reason string) (*rotate.Tombstone, error) {
	if _, err := e.ReadStaticRole(ctx, name); err != nil {
		return nil, err
	}
	t := &rotate.Tombstone{Env: e.Name, Path: rotate.StaticPrefix + name, By: callerName(c), Reason: reason, At: e.v.cfg.Now().UTC(), DisabledAtTarget: true}
	if err := e.DeleteStaticRole(ctx, name); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w; nothing was retired", e.Name, t.Path, rotate.ErrTarget, err)
	}
	if err := (rotStore{e.v}).bury(ctx, e, t); err != nil {
		return nil, err
	}
	if u, err := e.v.state(); err == nil {
		e.v.auditRotateEvent(u.audit, rotate.Event{Kind: rotate.EventRetired, Env: e.Name, Path: t.Path, Reason: "retired: " + reason})
	}
	return t, nil
}

// RotationStatus reports the rotation under way of env's secret at p: who
// may still hold the old version, and when it retires.
func (e *Env) RotationStatus(ctx context.Context, p string) (*rotate.Status, error) {
	r, err := e.v.rotation()
	if err != nil {
		return nil, err
	}
	if _, err := e.kv.Metadata(ctx, p); err != nil {
		if t, terr := e.Tombstone(ctx, p); terr == nil && t != nil {
			return nil, &RetiredError{Tombstone: t}
		}
		return nil, err
	}
	return r.rot.Status(ctx, e.Name, p)
}

// Drill runs a breach drill over env's prefix. The server authorized the
// caller (update on sys/ward/drill).
func (e *Env) Drill(ctx context.Context, req rotate.DrillRequest) (*rotate.DrillReport, error) {
	r, err := e.v.rotation()
	if err != nil {
		return nil, err
	}
	req.Env = e.Name
	if req.Prefix != "" {
		req.Prefix = strings.TrimSuffix(req.Prefix, "/")
		if err := secrets.CheckPath(req.Prefix); err != nil {
			return nil, refuse(KindInvalid, "prefix: %v; hint: name a folder like payments or database/static-roles", err)
		}
	}
	return r.drill.Run(ctx, req)
}

func callerName(c *Caller) string {
	if c == nil || c.Token == nil {
		return "ward"
	}
	if id := leaseIdentity(c.Token); id != "" {
		return id
	}
	return c.Token.DisplayName
}

// staticEngine is the database engine's static roles as a rotate.Engine,
// over the environments that exist at each call.
type staticEngine struct{ v *Vault }

var _ rotate.Engine = staticEngine{}

func (s staticEngine) roles() (*rotate.StaticRoles, error) {
	st, err := s.v.leases()
	if err != nil {
		return nil, err
	}
	envs, err := s.v.Envs()
	if err != nil {
		return nil, err
	}
	out := &rotate.StaticRoles{DB: st.db, Now: s.v.cfg.Now}
	for _, e := range envs {
		out.Envs = append(out.Envs, e.leaseEnv())
	}
	return out, nil
}

func (s staticEngine) Kind() string { return "static-role" }

func (s staticEngine) Items(ctx context.Context, env, prefix string) ([]rotate.Item, error) {
	r, err := s.roles()
	if err != nil {
		return nil, err
	}
	return r.Items(ctx, env, prefix)
}

func (s staticEngine) RotateItem(ctx context.Context, it rotate.Item, opt rotate.Options) (*rotate.Result, error) {
	r, err := s.roles()
	if err != nil {
		return nil, err
	}
	res, err := r.RotateItem(ctx, it, opt)
	kind := rotate.EventRotated
	ev := rotate.Event{Env: it.Env, Path: it.Path, Reason: opt.Reason, DrillID: opt.DrillID, At: s.v.cfg.Now().UTC()}
	if err != nil {
		kind, ev.Reason = rotate.EventFailed, err.Error()
	}
	ev.Kind = kind
	if u, uerr := s.v.state(); uerr == nil && (err == nil || opt.DrillID != "") {
		// The scheduler audits its own failures; a drill's are audited here.
		s.v.auditRotateEvent(u.audit, ev)
	}
	return res, err
}

func (s staticEngine) Finish(ctx context.Context) (int, error) {
	r, err := s.roles()
	if err != nil {
		return 0, err
	}
	return r.Finish(ctx)
}

func (s staticEngine) CanRotate(ctx context.Context, it rotate.Item) (bool, error) { return true, nil }

// leaseRevoker is the lease manager as a rotate.LeaseRevoker, over the
// environments that exist at each call.
type leaseRevoker struct{ v *Vault }

func (l leaseRevoker) manager() (*rotate.LeaseManager, error) {
	st, err := l.v.leases()
	if err != nil {
		return nil, err
	}
	envs, err := l.v.Envs()
	if err != nil {
		return nil, err
	}
	m := &rotate.LeaseManager{M: st.m}
	for _, e := range envs {
		m.Envs = append(m.Envs, lease.Env{Name: e.Name, ID: e.ID})
	}
	return m, nil
}

func (l leaseRevoker) RevokeUnder(ctx context.Context, env, prefix string) (int, error) {
	m, err := l.manager()
	if err != nil {
		return 0, err
	}
	return m.RevokeUnder(ctx, env, prefix)
}

func (l leaseRevoker) CountUnder(ctx context.Context, env, prefix string) (int, error) {
	m, err := l.manager()
	if err != nil {
		return 0, err
	}
	return m.CountUnder(ctx, env, prefix)
}

// tokenReaders answers a drill's "who read it since": the usage records
// keep, per secret and identity, the last read's time and token accessor.
type tokenReaders struct{ v *Vault }

func (t tokenReaders) ReadersSince(ctx context.Context, env, prefix string, since time.Time) ([]rotate.Reader, error) {
	e, err := t.v.Env(env)
	if err != nil {
		return nil, err
	}
	latest := map[string]rotate.Reader{} // by accessor
	err = t.v.WalkEnv(ctx, e, func(si SecretInfo) error {
		if !underPath(si.Path, prefix) {
			return nil
		}
		u, err := t.v.SecretUsage(ctx, e, si.Path)
		if err != nil {
			return err
		}
		for id, r := range u.Readers {
			for _, tr := range r.tokens() {
				if tr.At.Before(since) {
					continue
				}
				if prev, ok := latest[tr.Accessor]; !ok || tr.At.After(prev.At) {
					latest[tr.Accessor] = rotate.Reader{Accessor: tr.Accessor, Identity: id, Path: si.Path, At: tr.At}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]rotate.Reader, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Accessor < out[j].Accessor })
	return out, nil
}

func (t tokenReaders) RevokeToken(ctx context.Context, accessor string) error {
	u, err := t.v.state()
	if err != nil {
		return err
	}
	err = u.tokens.RevokeAccessor(ctx, accessor)
	if errors.Is(err, auth.ErrInvalidToken) {
		return nil // already gone
	}
	return err
}
