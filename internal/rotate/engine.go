package rotate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/rotate/generate"
)

// Item is one thing that can rotate: a KV secret, or a database static
// role. Path is where it lives in its environment ("payments/db",
// "database/static-roles/app").
type Item struct {
	Kind        string        `json:"kind"` // "kv" or "static-role"
	Env         string        `json:"env"`
	Path        string        `json:"path"`
	Owner       string        `json:"owner,omitempty"`
	LastRotated time.Time     `json:"last_rotated"`
	RotateEvery time.Duration `json:"rotate_every,omitempty"`
	Overlap     time.Duration `json:"overlap,omitempty"`
	ExpiresAt   time.Time     `json:"expires_at,omitzero"`
}

// Engine rotates one kind of Item. The scheduler and drills drive every
// kind through it. Implementations must be safe for concurrent use.
type Engine interface {
	// Kind is the Items' Kind.
	Kind() string
	// Items lists the items of env under prefix ("" env: every
	// environment).
	Items(ctx context.Context, env, prefix string) ([]Item, error)
	// RotateItem rotates it now. With opt.NoOverlap the old value is
	// retired at once and Result.Verified says whether it is dead.
	// ErrNeedsPerson when it has no generator.
	RotateItem(ctx context.Context, it Item, opt Options) (*Result, error)
	// Finish retires old values whose overlap is over, and returns how
	// many.
	Finish(ctx context.Context) (int, error)
	// CanRotate reports whether RotateItem can make its new value (false:
	// it needs a person). It changes nothing: drills' dry runs ask it.
	CanRotate(ctx context.Context, it Item) (bool, error)
}

var _ Engine = (*Rotator)(nil)

// Kind is "kv".
func (r *Rotator) Kind() string { return "kv" }

// Items lists the KV secrets of env under prefix.
func (r *Rotator) Items(ctx context.Context, env, prefix string) ([]Item, error) {
	ss, err := r.cfg.Store.List(ctx, env, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(ss))
	for _, s := range ss {
		out = append(out, Item{Kind: "kv", Env: s.Env, Path: s.Path, Owner: s.Meta.Owner, LastRotated: s.Created,
			RotateEvery: s.Meta.RotateEvery, Overlap: s.Meta.Overlap, ExpiresAt: s.Meta.ExpiresAt})
	}
	return out, nil
}

// CanRotate reports whether the secret's type has a generator.
func (r *Rotator) CanRotate(ctx context.Context, it Item) (bool, error) {
	s, err := r.cfg.Store.Read(ctx, it.Env, it.Path)
	if err != nil {
		return false, err
	}
	typ, err := r.typeOf(s.Meta.Type)
	if err != nil {
		return false, err
	}
	return typ != nil && generate.CanGenerate(typ), nil
}

// RotateItem is Rotate.
func (r *Rotator) RotateItem(ctx context.Context, it Item, opt Options) (*Result, error) {
	return r.Rotate(ctx, it.Env, it.Path, opt)
}

// dueAt is when it is next due, and false when it never is: at
// LastRotated + RotateEvery, or ahead of ExpiresAt by the overlap (unless
// it already rotated since that point).
func dueAt(it Item) (time.Time, bool) {
	var at time.Time
	ok := false
	if it.RotateEvery > 0 {
		at, ok = it.LastRotated.Add(it.RotateEvery), true
	}
	if !it.ExpiresAt.IsZero() {
		overlap := it.Overlap
		if overlap <= 0 {
			overlap = DefaultOverlap
		}
		early := it.ExpiresAt.Add(-overlap)
		if it.LastRotated.Before(early) && (!ok || early.Before(at)) {
			at, ok = early, true
		}
	}
	return at, ok
}

func itemKey(it Item) string { return it.Kind + "\x00" + it.Env + "\x00" + it.Path }

// underPrefix reports whether path lies under prefix ("" holds all).
func underPrefix(path, prefix string) bool {
	if prefix == "" {
		return true
	}
	return path == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(path, strings.TrimSuffix(prefix, "/")+"/")
}

func isNeedsPerson(err error) bool { return errors.Is(err, ErrNeedsPerson) }

// parallel calls fn(0..n-1), at most workers at once, and returns when
// all have returned.
func parallel(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
