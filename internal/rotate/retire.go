package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/lease"
)

// ErrRetired is wrapped when a secret was retired: a read answers 410
// with its Tombstone.
var ErrRetired = errors.New("the secret was retired")

// LeaseRevoker ends leases: the vault's lease manager (see LeaseManager).
type LeaseRevoker interface {
	// RevokeUnder ends every lease of env whose id lies under prefix
	// ("" for every lease of env) and returns how many.
	RevokeUnder(ctx context.Context, env, prefix string) (int, error)
	// CountUnder counts them, changing nothing.
	CountUnder(ctx context.Context, env, prefix string) (int, error)
}

// Tombstone is what is left of a retired secret: who retired it, when and
// why. It never holds a value.
type Tombstone struct {
	Env           string    `json:"env"`
	Path          string    `json:"path"`
	By            string    `json:"by"`
	Reason        string    `json:"reason,omitempty"`
	At            time.Time `json:"at"`
	LastVersion   int       `json:"last_version"`
	LeasesRevoked int       `json:"leases_revoked"`
	// DisabledAtTarget is true when the target disabled every value that
	// was still valid; false when the secret has no target ward manages.
	DisabledAtTarget bool `json:"disabled_at_target"`
}

// Graveyard keeps tombstones: the vault's storage.
type Graveyard interface {
	// Bury destroys every version of t.Env's secret at t.Path, its
	// metadata and rotation record, and stores t in their place, in one
	// transaction.
	Bury(ctx context.Context, t *Tombstone) error
}

// RetireRequest says what to retire, by whom and why.
type RetireRequest struct {
	Env, Path string
	By        string // the identity retiring it (for the tombstone)
	Reason    string
}

// Retire ends a secret for good: every lease under its path is revoked,
// every value still valid at its target (the current one and one still in
// its overlap) is disabled there, every version is destroyed, and a
// tombstone records who, when and why. A target that fails stops the
// retirement before anything is destroyed (ErrTarget): run it again.
func (r *Rotator) Retire(ctx context.Context, req RetireRequest) (*Tombstone, error) {
	if r.cfg.Graveyard == nil {
		return nil, errors.New("rotate: Retire needs Config.Graveyard")
	}
	defer r.lock(req.Env, req.Path)()
	s, err := r.cfg.Store.Read(ctx, req.Env, req.Path)
	if err != nil {
		return nil, err
	}
	t := &Tombstone{Env: req.Env, Path: req.Path, By: req.By, Reason: req.Reason, At: r.cfg.Now().UTC(), LastVersion: s.Version}
	if r.cfg.Leases != nil {
		if t.LeasesRevoked, err = r.cfg.Leases.RevokeUnder(ctx, req.Env, req.Path); err != nil {
			return nil, fmt.Errorf("%s %s: revoking its leases: %w", req.Env, req.Path, err)
		}
	}
	values := []map[string]any{s.Data}
	if rec, err := r.cfg.Store.Record(ctx, req.Env, req.Path); err == nil {
		for _, v := range []int{rec.From, rec.To} {
			if v == s.Version {
				continue
			}
			if data, err := r.cfg.Store.Version(ctx, req.Env, req.Path, v); err == nil {
				values = append(values, data)
			}
		}
	}
	if tg := r.target(s); tg != nil {
		for _, v := range values {
			if err := tg.Disable(ctx, s, v); err != nil {
				return nil, fmt.Errorf("%s %s: %w: %w; nothing was destroyed", req.Env, req.Path, ErrTarget, err)
			}
		}
		t.DisabledAtTarget = true
	}
	if err := r.cfg.Graveyard.Bury(ctx, t); err != nil {
		return nil, err
	}
	r.emit(Event{Kind: EventRetired, Env: req.Env, Path: req.Path, From: s.Version, Reason: "retired: " + req.Reason})
	return t, nil
}

// LeaseManager adapts the lease manager to LeaseRevoker, acting as an
// admin of each environment.
type LeaseManager struct {
	M    *lease.Manager
	Envs []lease.Env
}

var _ LeaseRevoker = (*LeaseManager)(nil)

func (l *LeaseManager) env(name string) (lease.Env, error) {
	for _, e := range l.Envs {
		if e.Name == name {
			return e, nil
		}
	}
	return lease.Env{}, fmt.Errorf("environment %q: %w", name, ErrNotFound)
}

// RevokeUnder ends env's leases under prefix: lease ids are
// ENV/PATH/..., so prefix "database/creds/app" takes role app's.
func (l *LeaseManager) RevokeUnder(ctx context.Context, env, prefix string) (int, error) {
	e, err := l.env(env)
	if err != nil {
		return 0, err
	}
	if strings.Trim(prefix, "/") == "" {
		return l.M.RevokeEnv(ctx, e.ID)
	}
	return l.M.RevokePrefix(ctx, lease.Caller{EnvID: e.ID, Admin: true}, e.Name+"/"+strings.Trim(prefix, "/"))
}

// CountUnder counts env's leases under prefix.
func (l *LeaseManager) CountUnder(ctx context.Context, env, prefix string) (int, error) {
	e, err := l.env(env)
	if err != nil {
		return 0, err
	}
	p := e.Name
	if q := strings.Trim(prefix, "/"); q != "" {
		p += "/" + q
	}
	return l.count(ctx, lease.Caller{EnvID: e.ID, Admin: true}, p)
}

// count walks List's folders below p.
func (l *LeaseManager) count(ctx context.Context, who lease.Caller, p string) (int, error) {
	names, err := l.M.List(ctx, who, p)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		if dir, ok := strings.CutSuffix(name, "/"); ok {
			k, err := l.count(ctx, who, p+"/"+dir)
			if err != nil {
				return 0, err
			}
			n += k
		} else {
			n++
		}
	}
	return n, nil
}
