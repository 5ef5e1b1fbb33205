// Package rotatetest holds in-memory implementations of package rotate's
// interfaces — a Store, a Target and Consumers — that keep every promise
// of their contracts, and a fault injector that crashes a rotation at a
// chosen call. Tests of rotate and the drill benchmark use them until the
// vault implements the interfaces over its own storage.
package rotatetest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/rotate"
)

// Store is an in-memory rotate.Store.
type Store struct {
	Now func() time.Time // nil: time.Now

	mu      sync.Mutex
	secrets map[string]*secret // guarded by mu; by env "/" path
	records map[string]*rotate.Record
	tombs   map[string]rotate.Tombstone
}

type secret struct {
	meta     rotate.Meta
	current  int
	versions map[int]map[string]any // destroyed versions are absent
	created  map[int]time.Time
	last     int
}

var (
	_ rotate.Store     = (*Store)(nil)
	_ rotate.Graveyard = (*Store)(nil)
)

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{secrets: map[string]*secret{}, records: map[string]*rotate.Record{}}
}

func key(env, path string) string { return env + "/" + path }

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Put writes data as the new current version of env's secret at path, as
// a user's write would, and returns its number.
func (s *Store) Put(env, path string, meta rotate.Meta, data map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[key(env, path)]
	if sec == nil {
		sec = &secret{versions: map[int]map[string]any{}, created: map[int]time.Time{}}
		s.secrets[key(env, path)] = sec
	}
	sec.meta = meta
	sec.last++
	sec.versions[sec.last] = maps.Clone(data)
	sec.created[sec.last] = s.now()
	sec.current = sec.last
	return sec.last
}

// Versions lists the versions of a secret that still hold a value.
func (s *Store) Versions(env, path string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	if sec := s.secrets[key(env, path)]; sec != nil {
		for v := 1; v <= sec.last; v++ {
			if _, ok := sec.versions[v]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// Remove deletes a secret and its record, every version.
func (s *Store) Remove(env, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, key(env, path))
	delete(s.records, key(env, path))
}

func (s *Store) Read(_ context.Context, env, path string) (*rotate.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[key(env, path)]
	if sec == nil || sec.versions[sec.current] == nil {
		return nil, fmt.Errorf("%s %s: %w", env, path, rotate.ErrNotFound)
	}
	return &rotate.Secret{Env: env, Path: path, Version: sec.current, Data: maps.Clone(sec.versions[sec.current]),
		Created: sec.created[sec.current], Meta: sec.meta}, nil
}

func (s *Store) Version(_ context.Context, env, path string, v int) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[key(env, path)]
	if sec == nil || sec.versions[v] == nil {
		return nil, fmt.Errorf("%s %s version %d: %w", env, path, v, rotate.ErrNotFound)
	}
	return maps.Clone(sec.versions[v]), nil
}

func (s *Store) WritePending(_ context.Context, rec *rotate.Record, data map[string]any) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[key(rec.Env, rec.Path)]
	if sec == nil {
		return 0, rotate.ErrNotFound
	}
	if sec.current != rec.From {
		return 0, rotate.ErrConflict
	}
	sec.last++
	sec.versions[sec.last] = maps.Clone(data)
	sec.created[sec.last] = s.now()
	r := *rec
	r.To = sec.last
	s.records[key(rec.Env, rec.Path)] = &r
	return sec.last, nil
}

func (s *Store) MakeCurrent(_ context.Context, env, path string, from, to int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[key(env, path)]
	if sec == nil {
		return rotate.ErrNotFound
	}
	if sec.current == to {
		return nil
	}
	if sec.current != from || sec.versions[to] == nil {
		return rotate.ErrConflict
	}
	sec.current = to
	return nil
}

func (s *Store) Destroy(_ context.Context, env, path string, v int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[key(env, path)]; sec != nil {
		delete(sec.versions, v)
	}
	return nil
}

func (s *Store) PutRecord(_ context.Context, rec *rotate.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := *rec
	s.records[key(rec.Env, rec.Path)] = &r
	return nil
}

func (s *Store) DeleteRecord(_ context.Context, env, path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, key(env, path))
	return nil
}

func (s *Store) Record(_ context.Context, env, path string) (*rotate.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[key(env, path)]
	if r == nil {
		return nil, rotate.ErrNotFound
	}
	c := *r
	return &c, nil
}

func (s *Store) Records(context.Context) ([]*rotate.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*rotate.Record, 0, len(s.records))
	for _, r := range s.records {
		c := *r
		out = append(out, &c)
	}
	return out, nil
}

func (s *Store) List(_ context.Context, env, prefix string) ([]*rotate.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*rotate.Secret
	for k, sec := range s.secrets {
		e, p, _ := strings.Cut(k, "/")
		if env != "" && e != env || !strings.HasPrefix(p, prefix) || sec.versions[sec.current] == nil {
			continue
		}
		out = append(out, &rotate.Secret{Env: e, Path: p, Version: sec.current, Created: sec.created[sec.current], Meta: sec.meta})
	}
	return out, nil
}

// Bury destroys every version of the secret and its record, and keeps t.
func (s *Store) Bury(_ context.Context, t *rotate.Tombstone) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, key(t.Env, t.Path))
	delete(s.records, key(t.Env, t.Path))
	if s.tombs == nil {
		s.tombs = map[string]rotate.Tombstone{}
	}
	s.tombs[key(t.Env, t.Path)] = *t
	return nil
}

// Tombstone returns the tombstone of a retired secret, or nil.
func (s *Store) Tombstone(env, path string) *rotate.Tombstone {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tombs[key(env, path)]
	if !ok {
		return nil
	}
	return &t
}
