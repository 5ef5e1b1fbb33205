package vault

import (
	"context"
	"fmt"
	"io"

	"github.com/wardhq/ward/internal/storage"
	storesnap "github.com/wardhq/ward/internal/storage/snapshot"
)

// Snapshot writes a snapshot of the whole store to w (see package
// snapshot): every entry as the barrier stored it, so ciphertext, read at
// one point in time while writes go on. A store restored from it unseals
// with this vault's unseal keys.
func (v *Vault) Snapshot(ctx context.Context, w io.Writer) (storesnap.Summary, error) {
	d, ok := v.cfg.Storage.(storage.Dumper)
	if !ok {
		return storesnap.Summary{}, fmt.Errorf("vault: this store (%T) cannot take snapshots", v.cfg.Storage)
	}
	return storesnap.Save(ctx, w, d)
}
