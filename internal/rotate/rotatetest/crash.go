package rotatetest

import (
	"context"
	"errors"
	"sync"

	"github.com/wardhq/ward/internal/rotate"
)

// ErrCrash is returned by every call of a Crasher from the crash on.
var ErrCrash = errors.New("crashed")

// Crasher counts the calls that change something — to a Store and a
// Target — and crashes at call At: with After false the call is not made,
// with After true it is made and its result lost. From then on every call
// fails with ErrCrash, as in a process killed at that point.
type Crasher struct {
	At    int
	After bool

	mu      sync.Mutex
	n       int
	crashed bool
}

// Calls is how many changing calls were seen.
func (c *Crasher) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Crashed reports whether the crash happened.
func (c *Crasher) Crashed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

// do runs call unless the crash came before it.
func (c *Crasher) do(call func() error) error {
	c.mu.Lock()
	if c.crashed {
		c.mu.Unlock()
		return ErrCrash
	}
	c.n++
	hit := c.n == c.At
	if hit {
		c.crashed = true
	}
	c.mu.Unlock()
	if hit && !c.After {
		return ErrCrash
	}
	err := call()
	if hit {
		return ErrCrash
	}
	return err
}

// read fails after the crash.
func (c *Crasher) read() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crashed {
		return ErrCrash
	}
	return nil
}

// Store wraps s.
func (c *Crasher) Store(s rotate.Store) rotate.Store { return &crashStore{s, c} }

// Target wraps t.
func (c *Crasher) Target(t rotate.Target) rotate.Target { return &crashTarget{t, c} }

type crashStore struct {
	rotate.Store
	c *Crasher
}

func (s *crashStore) Read(ctx context.Context, env, path string) (*rotate.Secret, error) {
	if err := s.c.read(); err != nil {
		return nil, err
	}
	return s.Store.Read(ctx, env, path)
}

func (s *crashStore) Version(ctx context.Context, env, path string, v int) (map[string]any, error) {
	if err := s.c.read(); err != nil {
		return nil, err
	}
	return s.Store.Version(ctx, env, path, v)
}

func (s *crashStore) Record(ctx context.Context, env, path string) (*rotate.Record, error) {
	if err := s.c.read(); err != nil {
		return nil, err
	}
	return s.Store.Record(ctx, env, path)
}

func (s *crashStore) WritePending(ctx context.Context, rec *rotate.Record, data map[string]any) (int, error) {
	var v int
	err := s.c.do(func() (err error) { v, err = s.Store.WritePending(ctx, rec, data); return err })
	return v, err
}

func (s *crashStore) MakeCurrent(ctx context.Context, env, path string, from, to int) error {
	return s.c.do(func() error { return s.Store.MakeCurrent(ctx, env, path, from, to) })
}

func (s *crashStore) Destroy(ctx context.Context, env, path string, v int) error {
	return s.c.do(func() error { return s.Store.Destroy(ctx, env, path, v) })
}

func (s *crashStore) PutRecord(ctx context.Context, rec *rotate.Record) error {
	return s.c.do(func() error { return s.Store.PutRecord(ctx, rec) })
}

func (s *crashStore) DeleteRecord(ctx context.Context, env, path string) error {
	return s.c.do(func() error { return s.Store.DeleteRecord(ctx, env, path) })
}

type crashTarget struct {
	t rotate.Target
	c *Crasher
}

func (t *crashTarget) Apply(ctx context.Context, s *rotate.Secret, cur, next map[string]any) error {
	return t.c.do(func() error { return t.t.Apply(ctx, s, cur, next) })
}

func (t *crashTarget) Verify(ctx context.Context, s *rotate.Secret, v map[string]any) error {
	if err := t.c.read(); err != nil {
		return err
	}
	return t.t.Verify(ctx, s, v)
}

func (t *crashTarget) Disable(ctx context.Context, s *rotate.Secret, v map[string]any) error {
	return t.c.do(func() error { return t.t.Disable(ctx, s, v) })
}
