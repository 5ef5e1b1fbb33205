package bolt

import (
	"context"

	bbolt "go.etcd.io/bbolt"

	"github.com/wardhq/ward/internal/storage"
)

var _ storage.Dumper = (*DB)(nil)

// Dump calls fn for every entry in key order, all from one bbolt read
// transaction, so from one consistent state while writers go on.
func (db *DB) Dump(ctx context.Context, fn func(*storage.Entry) error) error {
	return db.view(ctx, func(b *bbolt.Bucket) error {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			e := &storage.Entry{Key: string(k), Value: append(make([]byte, 0, len(v)), v...)}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}
