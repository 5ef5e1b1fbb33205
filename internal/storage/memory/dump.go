package memory

import (
	"context"
	"sort"

	"github.com/wardhq/ward/internal/storage"
)

var _ storage.Dumper = (*Backend)(nil)

// Dump calls fn for every entry in key order, from a copy taken under the
// lock, so from one consistent state.
func (m *Backend) Dump(ctx context.Context, fn func(*storage.Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return storage.ErrClosed
	}
	entries := make([]*storage.Entry, 0, len(m.data))
	for k, v := range m.data {
		entries = append(entries, &storage.Entry{Key: k, Value: clone(v)})
	}
	m.mu.RUnlock()
	sort.Slice(entries, func(i, j int) bool { return entries[i].Key < entries[j].Key })
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
