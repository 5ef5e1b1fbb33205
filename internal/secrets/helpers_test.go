package secrets

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     testing.TB
	ctx   context.Context
	st    storage.Backend
	clock *fakeClock
	kv    *Engine
}

func newFixture(t testing.TB) *fixture {
	st := memory.New()
	clock := newFakeClock()
	return &fixture{t: t, ctx: context.Background(), st: st, clock: clock,
		kv: New(Config{Storage: st, Now: clock.Now})}
}

func (f *fixture) put(path, data string) VersionMetadata {
	f.t.Helper()
	vm, err := f.kv.Put(f.ctx, path, json.RawMessage(data), PutOptions{})
	if err != nil {
		f.t.Fatalf("Put(%q): %v", path, err)
	}
	return vm
}

func (f *fixture) get(path string, version int) (*Version, error) {
	f.t.Helper()
	return f.kv.Get(f.ctx, path, version)
}

func (f *fixture) mustGet(path string, version int) string {
	f.t.Helper()
	v, err := f.kv.Get(f.ctx, path, version)
	if err != nil {
		f.t.Fatalf("Get(%q, %d): %v", path, version, err)
	}
	return string(v.Data)
}

func (f *fixture) meta(path string) *Metadata {
	f.t.Helper()
	m, err := f.kv.Metadata(f.ctx, path)
	if err != nil {
		f.t.Fatalf("Metadata(%q): %v", path, err)
	}
	return m
}

func intp(n int) *int { return &n }

// yieldingStorage yields the processor inside every Get, so that
// read-modify-write races show up even on a fast in-memory store.
type yieldingStorage struct{ storage.Backend }

func (y yieldingStorage) Get(ctx context.Context, key string) (*storage.Entry, error) {
	runtime.Gosched()
	return y.Backend.Get(ctx, key)
}
