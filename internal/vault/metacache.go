package vault

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
)

// DefaultMetadataMaxAge is how long an environment's cached metadata is
// trusted before it is read again in full (Config.MetadataMaxAge).
const DefaultMetadataMaxAge = 10 * time.Second

// metaCache keeps the metadata of every secret of one environment in
// memory, for the walks that read all of it (the dashboard's inventory,
// expiring secrets, the due-secrets metric): reading and decrypting 10,000
// records for every page costs far more than the page.
//
// Every write through the environment's KV engine reaches the cache
// (metaWatch), as does apply's transaction (touch), so on one server
// the cache is exact: a written secret is read again at the next walk, a
// new one added, a removed one dropped. Writes by another server sharing
// the store (PostgreSQL) are not seen: the whole cache is read again when
// it is older than maxAge, which bounds how stale it can be.
type metaCache struct {
	fill sync.Mutex // held by the one walk that refreshes

	mu     sync.Mutex
	built  time.Time                    // guarded by mu; zero: read everything
	byPath map[string]*secrets.Metadata // guarded by mu
	paths  []string                     // guarded by mu; sorted keys of byPath, nil when stale
	dirty  map[string]struct{}          // guarded by mu; written since, to read again
}

// touch marks the secret at p as written.
func (c *metaCache) touch(p string) {
	c.mu.Lock()
	if c.dirty == nil {
		c.dirty = map[string]struct{}{}
	}
	c.dirty[p] = struct{}{}
	c.mu.Unlock()
}

// reset makes the next walk read every record again.
func (c *metaCache) reset() {
	c.mu.Lock()
	c.built = time.Time{}
	c.mu.Unlock()
}

// touchKey marks the secret whose metadata record is key (relative to
// the engine's storage), if it is one.
func (c *metaCache) touchKey(key string) {
	if p, ok := secrets.MetadataPath(key); ok {
		c.touch(p)
	}
}

// metaWatch is an engine's storage that tells its cache of every write.
type metaWatch struct {
	storage.Backend
	c *metaCache
}

// View passes reads through: the engine reads a secret's metadata and
// version in one view.
func (w *metaWatch) View(ctx context.Context, fn func(r storage.Reader) error) error {
	return storage.View(ctx, w.Backend, fn)
}

func (w *metaWatch) Put(ctx context.Context, e *storage.Entry) error {
	err := w.Backend.Put(ctx, e)
	w.c.touchKey(e.Key) // a failed write may have been applied: read it again
	return err
}

func (w *metaWatch) Delete(ctx context.Context, key string) error {
	err := w.Backend.Delete(ctx, key)
	w.c.touchKey(key)
	return err
}

func (w *metaWatch) Transaction(ctx context.Context, ops []storage.Op) error {
	err := w.Backend.Transaction(ctx, ops)
	for _, op := range ops {
		w.c.touchKey(op.Key)
	}
	return err
}

// snapshot brings the cache up to date and returns every secret's
// metadata in path order. The metadata is shared: callers must not change
// it.
func (c *metaCache) snapshot(ctx context.Context, v *Vault, env *Env) ([]SecretInfo, error) {
	c.fill.Lock()
	defer c.fill.Unlock()
	now := v.cfg.Now()
	maxAge := v.cfg.MetadataMaxAge
	if maxAge == 0 {
		maxAge = DefaultMetadataMaxAge
	}
	c.mu.Lock()
	full := c.built.IsZero() || now.Sub(c.built) >= maxAge || now.Before(c.built)
	dirty := c.dirty
	c.dirty = nil
	c.mu.Unlock()
	if full {
		all := map[string]*secrets.Metadata{}
		err := v.WalkEnv(ctx, env, func(s SecretInfo) error {
			all[s.Path] = s.Metadata
			return nil
		})
		if err != nil {
			c.restoreDirty(dirty)
			return nil, err
		}
		c.mu.Lock()
		c.byPath, c.paths, c.built = all, nil, now
		c.mu.Unlock()
	} else if len(dirty) > 0 {
		fresh := make(map[string]*secrets.Metadata, len(dirty))
		for p := range dirty {
			md, err := env.kv.Metadata(ctx, p)
			switch {
			case err == nil:
				fresh[p] = md
			case errors.Is(err, secrets.ErrNotFound):
				fresh[p] = nil
			default:
				c.restoreDirty(dirty)
				return nil, err
			}
		}
		c.mu.Lock()
		for p, md := range fresh {
			_, had := c.byPath[p]
			if md == nil {
				delete(c.byPath, p)
			} else {
				c.byPath[p] = md
			}
			if had != (md != nil) {
				c.paths = nil
			}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paths == nil {
		c.paths = make([]string, 0, len(c.byPath))
		for p := range c.byPath {
			c.paths = append(c.paths, p)
		}
		slices.Sort(c.paths)
	}
	out := make([]SecretInfo, len(c.paths))
	for i, p := range c.paths {
		out[i] = SecretInfo{Env: env.Name, Path: p, Metadata: c.byPath[p], kv: env.kv}
	}
	return out, nil
}

// restoreDirty puts back the paths a failed refresh took.
func (c *metaCache) restoreDirty(dirty map[string]struct{}) {
	for p := range dirty {
		c.touch(p)
	}
}

// WalkEnvMetadata calls fn for every secret of env, in path order, as
// WalkEnv does, from the environment's cache of its metadata (see
// metaCache): for walks that read every secret's metadata and no data.
// The metadata given to fn is shared and must not be changed.
func (v *Vault) WalkEnvMetadata(ctx context.Context, env *Env, fn func(SecretInfo) error) error {
	all, err := env.meta.snapshot(ctx, v, env)
	if err != nil {
		return err
	}
	for _, s := range all {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}
