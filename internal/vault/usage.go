package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// Usage is what ward knows of a secret's reads: the last one, and the
// version each identity read last. It is kept through the barrier under the
// environment's key (env/ID/usage/PATH) and goes with the environment.
type Usage struct {
	LastRead   time.Time            `json:"last_read"`
	LastReader string               `json:"last_reader"`
	Readers    map[string]ReadState `json:"readers"` // by identity
}

// ReadState is one identity's last read of a secret.
type ReadState struct {
	Version int       `json:"version"`
	At      time.Time `json:"at"`
	// Accessor is the token of that read, so a breach drill can revoke
	// the tokens that read a compromised secret; "" when not known.
	Accessor string `json:"accessor,omitempty"`
	// Earlier are the identity's other tokens that read the secret before
	// (a CI role logs in once per job), most recent first, at most
	// maxEarlierTokens: a drill revokes them too.
	Earlier []TokenRead `json:"earlier,omitempty"`
}

// TokenRead is one token's last read of a secret.
type TokenRead struct {
	Accessor string    `json:"accessor"`
	At       time.Time `json:"at"`
}

// maxEarlierTokens bounds ReadState.Earlier.
const maxEarlierTokens = 32

// tokens returns every token of r, the latest first.
func (r ReadState) tokens() []TokenRead {
	out := make([]TokenRead, 0, 1+len(r.Earlier))
	if r.Accessor != "" {
		out = append(out, TokenRead{Accessor: r.Accessor, At: r.At})
	}
	return append(out, r.Earlier...)
}

// joinReads is the state of one identity that read as a and as b: the
// later read's version and token, and every other token once, with its
// latest read, most recent first, at most maxEarlierTokens.
func joinReads(a, b ReadState) ReadState {
	if b.At.Before(a.At) {
		a, b = b, a
	}
	if len(b.Earlier) == 0 && (a.Accessor == "" || a.Accessor == b.Accessor) {
		// The common case on the read path: the same token read again, or
		// a first read; nothing to merge.
		b.Earlier = a.Earlier
		return b
	}
	seen := map[string]bool{b.Accessor: true}
	var earlier []TokenRead
	for _, t := range append(b.Earlier, a.tokens()...) {
		if t.Accessor == "" || seen[t.Accessor] {
			continue
		}
		seen[t.Accessor] = true
		earlier = append(earlier, t)
	}
	sort.SliceStable(earlier, func(i, j int) bool { return earlier[i].At.After(earlier[j].At) })
	if len(earlier) > maxEarlierTokens {
		earlier = earlier[:maxEarlierTokens]
	}
	b.Earlier = earlier
	return b
}

// maxReaders bounds the identities kept per secret; the least recent go.
const maxReaders = 256

// usageRecorder batches reads in memory; Flush writes them. Reads are
// recorded without touching storage, so they stay fast; a failed flush
// keeps its records for the next one and is logged, never dropped. The one
// exception is an environment's deletion: its records go with it
// (dropEnvUsage), since its key, and so its usage, no longer exist.
// Environments are isolated: a record that cannot be written holds back no
// other environment's.
type usageRecorder struct {
	mu      sync.Mutex
	pending map[usageKey]*Usage // guarded by mu
	gone    map[string]bool     // guarded by mu: IDs of deleted environments
	flushMu sync.Mutex          // one flush at a time
	stop    chan struct{}
	done    chan struct{}
}

type usageKey struct{ envID, path string }

func usageStorageKey(envID, path string) string { return envUsagePrefix(envID) + path }

// RecordRead notes that identity read version of env's secret at path.
func (v *Vault) RecordRead(env *Env, path, identity string, version int) {
	v.RecordReadBy(env, path, identity, "", version)
}

// RecordReadBy is RecordRead that also notes the token's accessor.
func (v *Vault) RecordReadBy(env *Env, path, identity, accessor string, version int) {
	u, err := v.state()
	if err != nil {
		// A read that finished while the vault sealed: say so, not silently.
		v.cfg.Logger.Warn("a secret read could not be recorded: the vault is sealed", "env", env.Name)
		return
	}
	r := u.usage
	now := v.cfg.Now().UTC()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone[env.ID] {
		return // a read that finished as its environment was deleted
	}
	k := usageKey{env.ID, path}
	p := r.pending[k]
	if p == nil {
		p = &Usage{Readers: map[string]ReadState{}}
		r.pending[k] = p
	}
	if !now.Before(p.LastRead) {
		p.LastRead, p.LastReader = now, identity
	}
	p.Readers[identity] = joinReads(p.Readers[identity], ReadState{Version: version, At: now, Accessor: accessor})
}

// FlushUsage writes the reads recorded so far. Records that cannot be
// written stay pending.
func (v *Vault) FlushUsage(ctx context.Context) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	return v.flushUsage(ctx, u.usage, "")
}

// flushUsage writes the pending records of environment envID, or of every
// environment if envID is "".
func (v *Vault) flushUsage(ctx context.Context, r *usageRecorder, envID string) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	batch := r.pending
	if envID == "" {
		r.pending = map[usageKey]*Usage{}
	} else {
		batch = map[usageKey]*Usage{}
		for k, p := range r.pending {
			if k.envID == envID {
				batch[k] = p
				delete(r.pending, k)
			}
		}
	}
	r.mu.Unlock()
	// One transaction (one commit, one fsync) per chunk of records rather
	// than one per record: a flush of a busy second's reads must not
	// compete with those reads for the disk. A chunk that fails is
	// written record by record, so that one record that cannot be written
	// holds back no other.
	keys := make([]usageKey, 0, len(batch))
	for k := range batch {
		keys = append(keys, k)
	}
	var errs []error
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), usageFlushChunk)]
		keys = keys[len(chunk):]
		if v.mergeUsage(ctx, chunk, batch) == nil {
			continue
		}
		for _, k := range chunk {
			if err := v.mergeUsage(ctx, []usageKey{k}, batch); err != nil {
				errs = append(errs, err)
				p := batch[k]
				r.mu.Lock()
				if q := r.pending[k]; q != nil {
					mergeInto(p, q)
				}
				r.pending[k] = p
				r.mu.Unlock()
			}
		}
	}
	return errors.Join(errs...)
}

// usageFlushChunk is how many usage records one flush transaction writes.
const usageFlushChunk = 256

// mergeUsage adds the pending reads of batch's records at keys to the
// stored ones and writes them in one transaction.
func (v *Vault) mergeUsage(ctx context.Context, keys []usageKey, batch map[usageKey]*Usage) error {
	ops := make([]storage.Op, 0, len(keys))
	for _, k := range keys {
		key := usageStorageKey(k.envID, k.path)
		stored := &Usage{Readers: map[string]ReadState{}}
		e, err := v.barrier.Get(ctx, key)
		switch {
		case err == nil:
			if err := json.Unmarshal(e.Value, stored); err != nil || stored.Readers == nil {
				stored = &Usage{Readers: map[string]ReadState{}}
			}
		case errors.Is(err, storage.ErrNotFound):
		default:
			return err
		}
		mergeInto(stored, batch[k])
		b, _ := json.Marshal(stored)
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: key, Value: b})
	}
	return v.barrier.Transaction(ctx, ops)
}

// mergeInto adds src's reads to dst, keeping the later of each.
func mergeInto(dst, src *Usage) {
	if src.LastRead.After(dst.LastRead) || dst.LastRead.IsZero() {
		dst.LastRead, dst.LastReader = src.LastRead, src.LastReader
	}
	for id, s := range src.Readers {
		dst.Readers[id] = joinReads(dst.Readers[id], s)
	}
	if len(dst.Readers) > maxReaders {
		ids := make([]string, 0, len(dst.Readers))
		for id := range dst.Readers {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return dst.Readers[ids[i]].At.After(dst.Readers[ids[j]].At) })
		for _, id := range ids[maxReaders:] {
			delete(dst.Readers, id)
		}
	}
}

// SecretUsage returns the reads of env's secret at path, pending ones
// included. A secret never read has a zero Usage. It writes env's pending
// records only: no other environment's can make it fail.
func (v *Vault) SecretUsage(ctx context.Context, env *Env, path string) (*Usage, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	if err := v.flushUsage(ctx, u.usage, env.ID); err != nil {
		return nil, fmt.Errorf("writing pending usage: %w", err)
	}
	e, err := v.barrier.Get(ctx, usageStorageKey(env.ID, path))
	if errors.Is(err, storage.ErrNotFound) {
		return &Usage{Readers: map[string]ReadState{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var out Usage
	if err := json.Unmarshal(e.Value, &out); err != nil {
		return nil, fmt.Errorf("reading usage of %s/%s: %w", env.Name, path, err)
	}
	return &out, nil
}

// UsageFlushInterval is how often recorded reads are written.
const UsageFlushInterval = time.Second

func (v *Vault) startUsage(u *unsealed) {
	r := &usageRecorder{pending: map[usageKey]*Usage{}, gone: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	u.usage = r
	go func() {
		defer close(r.done)
		t := time.NewTicker(UsageFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				if err := v.flushUsage(context.Background(), r, ""); err != nil {
					v.cfg.Logger.Error("recording secret reads failed; will retry", ErrorLogArgs(err)...)
				}
			}
		}
	}()
}

// stopUsage ends the flusher and writes what is pending; called with the
// barrier still open.
func (v *Vault) stopUsage(u *unsealed) error {
	if u.usage == nil {
		return nil
	}
	close(u.usage.stop)
	<-u.usage.done
	return v.flushUsage(context.Background(), u.usage, "")
}

// dropEnvUsage forgets the pending records of environment envID, which is
// being deleted, and every read recorded in it from now on. It waits for a
// flush under way, so none writes a record of envID after it returns.
func (u *unsealed) dropEnvUsage(envID string) {
	r := u.usage
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone[envID] = true
	for k := range r.pending {
		if k.envID == envID {
			delete(r.pending, k)
		}
	}
}

// ForgetUsage drops what is recorded of the reads of env's secret at path,
// for a secret destroyed with its metadata.
func (v *Vault) ForgetUsage(ctx context.Context, env *Env, path string) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	u.usage.flushMu.Lock()
	defer u.usage.flushMu.Unlock()
	u.usage.mu.Lock()
	delete(u.usage.pending, usageKey{env.ID, path})
	u.usage.mu.Unlock()
	if err := v.barrier.Delete(ctx, usageStorageKey(env.ID, path)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}
