package vault

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/storage"
)

// The audit log's checkpoints (see package audit) are signed with an Ed25519
// key stored under the barrier at keyCheckpointKey, made by Init (or, for a
// store initialised before checkpoints existed, by the first unseal that
// finds none: with several servers on one store, unseal one first). Only the unsealed vault can sign; anyone with the
// public key (AuditCheckpointKey, also logged at unseal) can check.
//
// The vault signs the chain head every CheckpointInterval while entries come
// in, and once more when it seals. Each checkpoint line is also written to
// the server's log (message "audit checkpoint", attribute audit_line), so
// that where the server's log is shipped, the checkpoints go too.
const keyCheckpointKey = "sys/audit-checkpoint-key"

// CheckpointInterval is how often the vault signs the audit chain's head
// while entries are written: at most this much of the log's tail is
// covered by no signature.
const CheckpointInterval = time.Minute

// checkpointKey reads the checkpoint key, making it if there is none.
func (v *Vault) checkpointKey(ctx context.Context) (ed25519.PrivateKey, error) {
	e, err := v.barrier.Get(ctx, keyCheckpointKey)
	switch {
	case err == nil && len(e.Value) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(e.Value), nil
	case err == nil:
		return nil, fmt.Errorf("the audit checkpoint key at %s is malformed", keyCheckpointKey)
	case !errors.Is(err, storage.ErrNotFound):
		return nil, fmt.Errorf("reading the audit checkpoint key: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(v.cfg.Rand, seed); err != nil {
		return nil, err
	}
	defer clear(seed)
	if err := v.barrier.Put(ctx, &storage.Entry{Key: keyCheckpointKey, Value: seed}); err != nil {
		return nil, fmt.Errorf("storing a new audit checkpoint key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// checkpointer runs the periodic checkpoints of one unsealed period.
type checkpointer struct {
	stop, done chan struct{}
}

func (v *Vault) startCheckpoints(u *unsealed) {
	c := &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	u.checkpoints = c
	v.cfg.Logger.Info("audit checkpoints are signed with this key; pin it in 'ward audit verify --key'", "key", u.audit.CheckpointKey())
	go func() {
		defer close(c.done)
		t := time.NewTicker(CheckpointInterval)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				if err := v.checkpoint(u, audit.CheckpointPeriodic); err != nil {
					v.cfg.Logger.Error("signing an audit checkpoint failed; will retry", ErrorLogArgs(err)...)
				}
			}
		}
	}()
}

// stopCheckpoints ends the periodic checkpoints and writes the seal
// checkpoint; called before the audit log closes.
func (v *Vault) stopCheckpoints(u *unsealed) error {
	if u.checkpoints == nil {
		return nil
	}
	close(u.checkpoints.stop)
	<-u.checkpoints.done
	return v.checkpoint(u, audit.CheckpointSeal)
}

// checkpoint writes one checkpoint and copies it to the server's log.
func (v *Vault) checkpoint(u *unsealed, reason string) error {
	line, err := u.audit.Checkpoint(context.Background(), reason)
	if err != nil || line == nil {
		return err
	}
	v.cfg.Logger.Info("audit checkpoint", "reason", reason, "audit_line", string(line[:len(line)-1]))
	return nil
}

// AuditCheckpoint signs the audit chain's head now, if anything was written
// since the last checkpoint. The vault does so every CheckpointInterval.
func (v *Vault) AuditCheckpoint(ctx context.Context) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	return v.checkpoint(u, audit.CheckpointPeriodic)
}

// AuditCheckpointKey returns the public key that checks the audit log's
// checkpoints, "ed25519:<base64>", or ErrSealed.
func (v *Vault) AuditCheckpointKey() (string, error) {
	u, err := v.state()
	if err != nil {
		return "", err
	}
	return u.audit.CheckpointKey(), nil
}

// ReopenAudit is log rotation's step: it signs a checkpoint into the audit
// file (so a rotated file ends signed), then reopens the file's path, so
// that lines go on into a new file whose chain goes on from the old one's.
// While sealed no log is open: it returns ErrSealed, and the next unseal
// opens the path afresh.
func (v *Vault) ReopenAudit(ctx context.Context) (checkpointErr, err error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	checkpointErr = v.checkpoint(u, audit.CheckpointPeriodic)
	return checkpointErr, u.audit.Reopen()
}
