package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// hooked is a Backend whose reads and transactions can be interrupted.
type hooked struct {
	storage.Backend
	mu    sync.Mutex
	onGet func(key string)   // guarded by mu; called after the read
	onTxn func([]storage.Op) // guarded by mu; called before applying
}

func (h *hooked) Get(ctx context.Context, key string) (*storage.Entry, error) {
	e, err := h.Backend.Get(ctx, key)
	h.mu.Lock()
	f := h.onGet
	h.mu.Unlock()
	if f != nil {
		f(key)
	}
	return e, err
}

func (h *hooked) Transaction(ctx context.Context, ops []storage.Op) error {
	h.mu.Lock()
	f := h.onTxn
	h.mu.Unlock()
	if f != nil {
		f(ops)
	}
	return h.Backend.Transaction(ctx, ops)
}

func (h *hooked) setGet(f func(string)) { h.mu.Lock(); h.onGet = f; h.mu.Unlock() }

func (h *hooked) setTxn(f func([]storage.Op)) { h.mu.Lock(); h.onTxn = f; h.mu.Unlock() }

type fixture struct {
	t     testing.TB
	ctx   context.Context
	mem   *memory.Backend
	back  *hooked
	clock *clock
	cfg   auth.Config
	store *auth.Store
	root  *auth.Token
}

// setup makes a Store over a fresh memory backend with a fake clock and a
// root token. edit, if not nil, changes the config first.
func setup(t testing.TB, edit func(*auth.Config)) *fixture {
	mem := memory.New()
	f := &fixture{t: t, ctx: context.Background(), mem: mem, back: &hooked{Backend: mem}, clock: newClock()}
	f.cfg = auth.Config{Storage: f.back, Now: f.clock.Now}
	if edit != nil {
		edit(&f.cfg)
	}
	var err error
	if f.store, err = auth.NewStore(f.cfg); err != nil {
		t.Fatal(err)
	}
	if _, f.root, err = f.store.CreateRoot(f.ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// reopen returns a second Store over the same storage, with an empty cache.
func (f *fixture) reopen() *auth.Store {
	s, err := auth.NewStore(f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// create makes a child of parent and fails the test on error.
func (f *fixture) create(parent *auth.Token, req auth.CreateRequest) (string, *auth.Token) {
	f.t.Helper()
	secret, tok, err := f.store.Create(f.ctx, parent, req)
	if err != nil {
		f.t.Fatalf("Create: %v", err)
	}
	return secret, tok
}

// envToken makes a token in environment "staging" with the given policies.
func (f *fixture) envToken(parent *auth.Token, ttl time.Duration, policies ...string) (string, *auth.Token) {
	f.t.Helper()
	return f.create(parent, auth.CreateRequest{Policies: policies, Env: "staging", EnvID: "env-1", TTL: ttl})
}

// valid reports whether Lookup accepts secret; any error but
// ErrInvalidToken fails the test.
func (f *fixture) valid(s *auth.Store, secret string) bool {
	f.t.Helper()
	_, err := s.Lookup(f.ctx, secret)
	if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
		f.t.Fatalf("Lookup: %v", err)
	}
	return err == nil
}

// dump returns every key and value in the memory backend.
func (f *fixture) dump() map[string]string {
	out := map[string]string{}
	var walk func(prefix string)
	walk = func(prefix string) {
		names, err := f.mem.List(f.ctx, prefix)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, "/") {
				walk(prefix + n)
				continue
			}
			e, err := f.mem.Get(f.ctx, prefix+n)
			if err != nil {
				f.t.Fatal(err)
			}
			out[prefix+n] = string(e.Value)
		}
	}
	walk("")
	return out
}

// keys returns the stored keys below prefix.
func (f *fixture) keys(prefix string) []string {
	var out []string
	for k := range f.dump() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// parentWithTTL returns the root token if ttl is 0, else a new token of
// staging with policy "a" that lives ttl.
func (f *fixture) parentWithTTL(ttl time.Duration) *auth.Token {
	f.t.Helper()
	if ttl == 0 {
		return f.root
	}
	_, p := f.envToken(f.root, ttl, "a")
	return p
}

// inStaging returns req for policy "a" in staging, which every parent of
// parentWithTTL may give.
func inStaging(req auth.CreateRequest) auth.CreateRequest {
	req.Policies, req.Env, req.EnvID = []string{"a"}, "staging", "env-1"
	return req
}
