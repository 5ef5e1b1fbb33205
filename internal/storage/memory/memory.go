// Package memory is an in-memory storage.Backend for tests and for
// throw-away servers. Nothing survives Close or the process.
package memory

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/wardhq/ward/internal/storage"
)

var (
	_ storage.Backend = (*Backend)(nil)
	_ storage.Viewer  = (*Backend)(nil)
)

// Backend keeps entries in a map guarded by mu.
type Backend struct {
	mu     sync.RWMutex
	data   map[string][]byte // guarded by mu
	closed bool              // guarded by mu
}

// New returns an empty backend.
func New() *Backend { return &Backend{data: make(map[string][]byte)} }

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

func (m *Backend) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, storage.ErrClosed
	}
	return m.getRLocked(key)
}

// getRLocked is Get with mu held for reading.
func (m *Backend) getRLocked(key string) (*storage.Entry, error) {
	v, ok := m.data[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return &storage.Entry{Key: key, Value: clone(v)}, nil
}

// View runs fn with mu held for reading, so that its Gets see one state.
func (m *Backend) View(ctx context.Context, fn func(r storage.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return storage.ErrClosed
	}
	return fn(viewReader{m})
}

// viewReader reads m inside View, mu already held.
type viewReader struct{ m *Backend }

func (r viewReader) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.m.getRLocked(key)
}

func (m *Backend) Put(ctx context.Context, e *storage.Entry) error {
	return m.Transaction(ctx, []storage.Op{{Kind: storage.OpPut, Key: e.Key, Value: e.Value}})
}

func (m *Backend) Delete(ctx context.Context, key string) error {
	return m.Transaction(ctx, []storage.Op{{Kind: storage.OpDelete, Key: key}})
}

func (m *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, storage.ErrClosed
	}
	seen := make(map[string]struct{})
	var out []string
	for k := range m.data {
		if !strings.HasPrefix(k, prefix) || k == prefix {
			continue
		}
		name := k[len(prefix):]
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[:i+1]
		}
		if _, ok := seen[name]; !ok {
			seen[name] = struct{}{}
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *Backend) Transaction(ctx context.Context, ops []storage.Op) error {
	for _, op := range ops {
		if err := storage.CheckKey(op.Key); err != nil {
			return err
		}
		if op.Kind != storage.OpPut && op.Kind != storage.OpDelete {
			return storage.ErrInvalidOp
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return storage.ErrClosed
	}
	for _, op := range ops {
		if op.Kind == storage.OpPut {
			m.data[op.Key] = clone(op.Value)
		} else {
			delete(m.data, op.Key)
		}
	}
	return nil
}

func (m *Backend) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.data = nil
	return nil
}
