package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
)

// StaticPrefix is where static roles live in an environment, as Items.
const StaticPrefix = "database/static-roles/"

// StaticRoles drives the database engine's static roles as Items, so the
// scheduler rotates them every rotation_period and drills rotate them with
// no overlap and check that the old password no longer logs in.
type StaticRoles struct {
	DB   *dbengine.Engine
	Envs []lease.Env
	Now  func() time.Time // nil: time.Now
	// Owner names who to contact for a static role; nil: nobody.
	Owner func(env, name string) string
}

var _ Engine = (*StaticRoles)(nil)

func (s *StaticRoles) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *StaticRoles) env(name string) (lease.Env, bool) {
	for _, e := range s.Envs {
		if e.Name == name {
			return e, true
		}
	}
	return lease.Env{}, false
}

// Kind is "static-role".
func (s *StaticRoles) Kind() string { return "static-role" }

// Items lists the static roles of env (every env for "") under prefix.
func (s *StaticRoles) Items(ctx context.Context, env, prefix string) ([]Item, error) {
	var out []Item
	for _, e := range s.Envs {
		if env != "" && e.Name != env {
			continue
		}
		names, err := s.DB.ListStaticRoles(ctx, e)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			path := StaticPrefix + name
			if !underPrefix(path, prefix) {
				continue
			}
			r, err := s.DB.ReadStaticRole(ctx, e, name)
			if err != nil {
				return nil, err
			}
			c, err := s.DB.StaticCredentials(ctx, e, name)
			if err != nil {
				return nil, err
			}
			it := Item{Kind: s.Kind(), Env: e.Name, Path: path, LastRotated: c.LastRotation, RotateEvery: r.RotationPeriod, Overlap: r.Overlap}
			if s.Owner != nil {
				it.Owner = s.Owner(e.Name, name)
			}
			out = append(out, it)
		}
	}
	return out, nil
}

// RotateItem rotates a static role; with NoOverlap it checks that the
// old password no longer logs in and the new one does.
func (s *StaticRoles) RotateItem(ctx context.Context, it Item, opt Options) (*Result, error) {
	e, ok := s.env(it.Env)
	if !ok {
		return nil, fmt.Errorf("environment %q: %w", it.Env, ErrNotFound)
	}
	name := strings.TrimPrefix(it.Path, StaticPrefix)
	before, err := s.DB.StaticCredentials(ctx, e, name)
	if err != nil {
		return nil, err
	}
	after, err := s.DB.RotateStatic(ctx, e, name, s.now(), opt.NoOverlap)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %w", it.Env, it.Path, ErrTarget, err)
	}
	res := &Result{OldRetired: opt.NoOverlap, Verified: "new works"}
	if err := s.DB.StaticLogin(ctx, e, name, after.Username, after.Password); err != nil {
		res.Verified = "NEW DOES NOT WORK"
		return res, fmt.Errorf("%s %s: %w: the new password does not log in: %w", it.Env, it.Path, ErrTarget, err)
	}
	if opt.NoOverlap {
		err := s.DB.StaticLogin(ctx, e, name, before.Username, before.Password)
		if !errors.Is(err, dbengine.ErrLoginRefused) {
			res.Verified = "new works, OLD STILL WORKS"
			return res, fmt.Errorf("%s %s: %w: the old password still logs in", it.Env, it.Path, ErrTarget)
		}
		res.Verified = "new works, old dead"
	}
	return res, nil
}

// Finish retires previous users whose overlap ended.
func (s *StaticRoles) Finish(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for _, e := range s.Envs {
		names, err := s.DB.ListStaticRoles(ctx, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, name := range names {
			done, err := s.DB.RetireStatic(ctx, e, name, s.now(), false)
			if err != nil {
				errs = append(errs, err)
			}
			if done {
				n++
			}
		}
	}
	return n, errors.Join(errs...)
}

// CanRotate is true: ward makes every static role's password.
func (s *StaticRoles) CanRotate(context.Context, Item) (bool, error) { return true, nil }
