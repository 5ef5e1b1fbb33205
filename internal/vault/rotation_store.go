package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/rotate"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
)

// rotStore is the vault's side of a rotation (rotate.Store,
// rotate.Graveyard, rotate.Consumers): KV v2 versions, and beside them,
// under the environment's key,
//
//	env/ID/rotate/record/PATH   the rotation under way (rotate.Record, JSON)
//	env/ID/rotate/pending/PATH  its new value until it is made current
//	env/ID/rotate/tomb/PATH     a retired secret's tombstone (rotate.Tombstone)
//
// A pending value is not a KV version yet: it becomes version From+1 when
// MakeCurrent writes it with check-and-set on From, so a writer that got
// there first makes the rotation fail (ErrConflict) and loses nothing.
type rotStore struct{ v *Vault }

var (
	_ rotate.Store     = rotStore{}
	_ rotate.Graveyard = rotStore{}
	_ rotate.Consumers = rotStore{}
)

func rotRecordKey(envID, p string) string  { return envPrefix(envID) + "rotate/record/" + p }
func rotPendingKey(envID, p string) string { return envPrefix(envID) + "rotate/pending/" + p }
func tombKey(envID, p string) string       { return envPrefix(envID) + "rotate/tomb/" + p }

func (s rotStore) env(name string) (*Env, error) {
	e, err := s.v.Env(name)
	if errors.Is(err, ErrEnvNotFound) {
		return nil, fmt.Errorf("%w: %w", rotate.ErrNotFound, err)
	}
	return e, err
}

// notFound maps the KV engine's not-found onto rotate's.
func notFound(err error) error {
	if errors.Is(err, secrets.ErrNotFound) {
		return fmt.Errorf("%w: %w", rotate.ErrNotFound, err)
	}
	return err
}

// rotationMeta reads the metadata rotation uses; malformed values (which
// writes refuse) are left zero.
func rotationMeta(cm map[string]string) rotate.Meta {
	m := rotate.Meta{Type: cm[MetaType], Owner: cm[MetaOwner]}
	for _, r := range strings.Split(cm[MetaRecipients], ",") {
		if r = strings.TrimSpace(r); r != "" {
			m.Recipients = append(m.Recipients, r)
		}
	}
	if d, err := ParseCadence(cm[MetaOverlap]); err == nil {
		m.Overlap = d
	}
	if d, err := ParseCadence(cm[MetaRotateEvery]); err == nil {
		m.RotateEvery = d
	}
	if t, err := time.Parse(time.RFC3339, cm[MetaExpiresAt]); err == nil {
		m.ExpiresAt = t.UTC()
	}
	return m
}

// MetaOverlap is the custom metadata key of how long a rotated secret's
// previous version stays valid (a duration: 24h, 2d); rotate.DefaultOverlap
// when unset.
const MetaOverlap = "overlap"

func (s rotStore) Read(ctx context.Context, env, p string) (*rotate.Secret, error) {
	e, err := s.env(env)
	if err != nil {
		return nil, err
	}
	md, err := e.kv.Metadata(ctx, p)
	if err != nil {
		return nil, notFound(err)
	}
	ver, err := e.kv.Get(ctx, p, 0)
	if err != nil {
		return nil, notFound(err)
	}
	var data map[string]any
	if err := json.Unmarshal(ver.Data, &data); err != nil {
		return nil, fmt.Errorf("%s/%s: stored value: %w", env, p, err)
	}
	return &rotate.Secret{Env: env, Path: p, Version: md.CurrentVersion, Data: data, Created: ver.Metadata.CreatedTime, Meta: rotationMeta(md.CustomMetadata)}, nil
}

// pending returns the pending value of env's secret at p, or nil.
func (s rotStore) pending(ctx context.Context, e *Env, p string) ([]byte, error) {
	ent, err := s.v.barrier.Get(ctx, rotPendingKey(e.ID, p))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ent.Value, nil
}

func (s rotStore) Version(ctx context.Context, env, p string, version int) (map[string]any, error) {
	e, err := s.env(env)
	if err != nil {
		return nil, err
	}
	raw, err := s.versionBytes(ctx, e, p, version)
	if err != nil {
		return nil, err
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, err
	}
	return data, nil
}

// versionBytes is a version's stored value: the pending one when version
// is the record's To and not yet written to KV.
func (s rotStore) versionBytes(ctx context.Context, e *Env, p string, version int) ([]byte, error) {
	md, err := e.kv.Metadata(ctx, p)
	if err != nil {
		return nil, notFound(err)
	}
	if version > md.CurrentVersion {
		if rec, err := s.Record(ctx, e.Name, p); err == nil && rec.To == version {
			if raw, err := s.pending(ctx, e, p); raw != nil || err != nil {
				return raw, err
			}
		}
		return nil, fmt.Errorf("%s/%s version %d: %w", e.Name, p, version, rotate.ErrNotFound)
	}
	ver, err := e.kv.Get(ctx, p, version)
	if err != nil {
		return nil, notFound(err)
	}
	return ver.Data, nil
}

func (s rotStore) WritePending(ctx context.Context, rec *rotate.Record, data map[string]any) (int, error) {
	e, err := s.env(rec.Env)
	if err != nil {
		return 0, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, err
	}
	md, err := e.kv.Metadata(ctx, rec.Path)
	if err != nil {
		return 0, notFound(err)
	}
	if md.CurrentVersion != rec.From {
		return 0, fmt.Errorf("%s/%s is at version %d, not %d: %w", rec.Env, rec.Path, md.CurrentVersion, rec.From, rotate.ErrConflict)
	}
	r := *rec
	r.To = rec.From + 1
	rj, err := json.Marshal(&r)
	if err != nil {
		return 0, err
	}
	err = s.v.barrier.Transaction(ctx, []storage.Op{
		{Kind: storage.OpPut, Key: rotPendingKey(e.ID, rec.Path), Value: raw},
		{Kind: storage.OpPut, Key: rotRecordKey(e.ID, rec.Path), Value: rj},
	})
	return r.To, err
}

func (s rotStore) MakeCurrent(ctx context.Context, env, p string, from, to int) error {
	e, err := s.env(env)
	if err != nil {
		return err
	}
	raw, err := s.pending(ctx, e, p)
	if err != nil {
		return err
	}
	md, err := e.kv.Metadata(ctx, p)
	if err != nil {
		return notFound(err)
	}
	if md.CurrentVersion == to {
		// Made current before a crash, if it holds the pending value.
		if raw != nil {
			if cur, err := e.kv.Get(ctx, p, to); err != nil || !sameJSON(cur.Data, raw) {
				return fmt.Errorf("%s/%s version %d is another writer's: %w", env, p, to, rotate.ErrConflict)
			}
		}
		return s.v.barrier.Delete(ctx, rotPendingKey(e.ID, p))
	}
	if raw == nil {
		return fmt.Errorf("%s/%s: pending version %d: %w", env, p, to, rotate.ErrNotFound)
	}
	cas := from
	vm, err := e.kv.Put(ctx, p, raw, secrets.PutOptions{CAS: &cas, Check: e.writeCheck(p)})
	var ce *secrets.CASError
	if errors.As(err, &ce) {
		return fmt.Errorf("%s/%s: %w", env, p, rotate.ErrConflict)
	}
	if err != nil {
		return err
	}
	if vm.Version != to {
		return fmt.Errorf("%s/%s: the new value became version %d, not %d: %w", env, p, vm.Version, to, rotate.ErrConflict)
	}
	return s.v.barrier.Delete(ctx, rotPendingKey(e.ID, p))
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func (s rotStore) Destroy(ctx context.Context, env, p string, version int) error {
	e, err := s.env(env)
	if err != nil {
		return err
	}
	md, err := e.kv.Metadata(ctx, p)
	if errors.Is(err, secrets.ErrNotFound) {
		return s.v.barrier.Delete(ctx, rotPendingKey(e.ID, p))
	}
	if err != nil {
		return err
	}
	if version > md.CurrentVersion {
		return s.v.barrier.Delete(ctx, rotPendingKey(e.ID, p))
	}
	return e.kv.Destroy(ctx, p, []int{version})
}

func (s rotStore) PutRecord(ctx context.Context, rec *rotate.Record) error {
	e, err := s.env(rec.Env)
	if err != nil {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.v.barrier.Put(ctx, &storage.Entry{Key: rotRecordKey(e.ID, rec.Path), Value: b})
}

func (s rotStore) DeleteRecord(ctx context.Context, env, p string) error {
	e, err := s.env(env)
	if err != nil {
		return err
	}
	return s.v.barrier.Transaction(ctx, []storage.Op{
		{Kind: storage.OpDelete, Key: rotRecordKey(e.ID, p)},
		{Kind: storage.OpDelete, Key: rotPendingKey(e.ID, p)},
	})
}

func (s rotStore) Record(ctx context.Context, env, p string) (*rotate.Record, error) {
	e, err := s.env(env)
	if err != nil {
		return nil, err
	}
	ent, err := s.v.barrier.Get(ctx, rotRecordKey(e.ID, p))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("rotation of %s/%s: %w", env, p, rotate.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var rec rotate.Record
	if err := json.Unmarshal(ent.Value, &rec); err != nil {
		return nil, fmt.Errorf("rotation record of %s/%s: %w", env, p, err)
	}
	return &rec, nil
}

func (s rotStore) Records(ctx context.Context) ([]*rotate.Record, error) {
	envs, err := s.v.Envs()
	if err != nil {
		return nil, err
	}
	var out []*rotate.Record
	for _, e := range envs {
		prefix := rotRecordKey(e.ID, "")
		keys, err := listDeep(ctx, s.v.barrier, prefix)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			rec, err := s.Record(ctx, e.Name, k)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// listDeep lists every key below prefix, relative to it, descending into
// folders.
func listDeep(ctx context.Context, b storage.Backend, prefix string) ([]string, error) {
	names, err := b.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			sub, err := listDeep(ctx, b, prefix+n)
			if err != nil {
				return nil, err
			}
			for _, k := range sub {
				out = append(out, n+k)
			}
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

func (s rotStore) List(ctx context.Context, env, prefix string) ([]*rotate.Secret, error) {
	var envs []*Env
	if env == "" {
		all, err := s.v.Envs()
		if err != nil {
			return nil, err
		}
		envs = all
	} else {
		e, err := s.env(env)
		if err != nil {
			return nil, err
		}
		envs = []*Env{e}
	}
	var out []*rotate.Secret
	for _, e := range envs {
		err := s.v.WalkEnv(ctx, e, func(si SecretInfo) error {
			if !underPath(si.Path, prefix) {
				return nil
			}
			md := si.Metadata
			sec := &rotate.Secret{Env: si.Env, Path: si.Path, Version: md.CurrentVersion, Meta: rotationMeta(md.CustomMetadata)}
			cur, ok := md.Versions[md.CurrentVersion]
			if !ok || cur.Destroyed || !cur.DeletionTime.IsZero() {
				return nil // nothing current to rotate
			}
			sec.Created = cur.CreatedTime
			out = append(out, sec)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// underPath reports whether p lies under prefix ("" holds all): equal to
// it, or below it as a folder.
func underPath(p, prefix string) bool {
	prefix = strings.Trim(prefix, "/")
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// Bury stores the tombstone first, so a read never finds neither the
// secret nor its tombstone, then destroys every version and the metadata,
// the pending value and the rotation record.
func (s rotStore) Bury(ctx context.Context, t *rotate.Tombstone) error {
	e, err := s.env(t.Env)
	if err != nil {
		return err
	}
	if err := s.bury(ctx, e, t); err != nil {
		return err
	}
	return s.destroyBuried(ctx, e, t.Path)
}

// destroyBuried destroys what a tombstone at p stands for: every version
// and the metadata, the pending value and the rotation record. Bury calls
// it; finishBurials calls it again for a retirement a crash cut short.
func (s rotStore) destroyBuried(ctx context.Context, e *Env, p string) error {
	if err := e.DestroySecret(ctx, p); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return err
	}
	return s.v.barrier.Transaction(ctx, []storage.Op{
		{Kind: storage.OpDelete, Key: rotPendingKey(e.ID, p)},
		{Kind: storage.OpDelete, Key: rotRecordKey(e.ID, p)},
	})
}

// finishBurials destroys what is left of retired secrets: a crash between
// storing a tombstone and destroying the secret leaves its versions under
// the tombstone (unreadable, since a read finds the tombstone first).
// Recovery runs it once per unseal; it returns how many it finished.
func (s rotStore) finishBurials(ctx context.Context) (int, error) {
	envs, err := s.v.Envs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range envs {
		paths, err := s.tombstonePaths(ctx, e, "")
		if err != nil {
			return n, err
		}
		for _, p := range paths {
			if _, err := e.SecretMetadata(ctx, p); errors.Is(err, secrets.ErrNotFound) {
				continue
			} else if err != nil {
				return n, err
			}
			if err := s.destroyBuried(ctx, e, p); err != nil {
				return n, fmt.Errorf("finishing the retirement of %s/%s: %w", e.Name, p, err)
			}
			n++
		}
	}
	return n, nil
}

// tombstonePaths lists the retired secrets of e below folder.
func (s rotStore) tombstonePaths(ctx context.Context, e *Env, folder string) ([]string, error) {
	names, err := s.v.barrier.List(ctx, tombKey(e.ID, folder))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		if strings.HasSuffix(name, "/") {
			below, err := s.tombstonePaths(ctx, e, folder+name)
			if err != nil {
				return nil, err
			}
			out = append(out, below...)
			continue
		}
		out = append(out, folder+name)
	}
	return out, nil
}

// bury stores t.
func (s rotStore) bury(ctx context.Context, e *Env, t *rotate.Tombstone) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.v.barrier.Put(ctx, &storage.Entry{Key: tombKey(e.ID, t.Path), Value: b})
}

// Tombstone returns the tombstone of env's retired secret at p, or nil.
func (e *Env) Tombstone(ctx context.Context, p string) (*rotate.Tombstone, error) {
	ent, err := e.v.barrier.Get(ctx, tombKey(e.ID, p))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t rotate.Tombstone
	if err := json.Unmarshal(ent.Value, &t); err != nil {
		return nil, fmt.Errorf("tombstone of %s/%s: %w", e.Name, p, err)
	}
	return &t, nil
}

// RetiredError is a read of a retired secret: the server answers 410 with
// the tombstone.
type RetiredError struct{ Tombstone *rotate.Tombstone }

func (e *RetiredError) Error() string {
	t := e.Tombstone
	msg := fmt.Sprintf("%s/%s was retired by %s at %s", t.Env, t.Path, t.By, t.At.Format(time.RFC3339))
	if t.Reason != "" {
		msg += " (" + t.Reason + ")"
	}
	return msg + "; hint: stop using it, or write a new secret under another path"
}

func (e *RetiredError) Unwrap() error { return rotate.ErrRetired }

func (s rotStore) LastRead(ctx context.Context, env, p string) (map[string]int, error) {
	e, err := s.env(env)
	if err != nil {
		return nil, err
	}
	u, err := s.v.SecretUsage(ctx, e, p)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(u.Readers))
	for id, r := range u.Readers {
		out[id] = r.Version
	}
	return out, nil
}
