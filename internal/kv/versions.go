package kv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/storage"
)

// Version is one version of a secret. Data is nil for a deleted or
// destroyed version.
type Version struct {
	Data     json.RawMessage
	Metadata VersionMetadata
}

// PutOptions are a write's options. CAS, when set, is the version the secret
// must currently have; 0 means it must not exist yet.
type PutOptions struct {
	CAS *int
}

// checkValue accepts exactly one JSON object within the size limit, with no
// repeated keys. Its errors never quote the value.
func (e *Engine) checkValue(data []byte) error {
	if len(data) > e.cfg.MaxValueSize {
		return fmt.Errorf("%w: %d bytes; the limit is %d", ErrTooLarge, len(data), e.cfg.MaxValueSize)
	}
	if err := jsonstrict.Check(data, maxValueDepth); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidValue, err)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%w: a secret is a JSON object", ErrInvalidValue)
	}
	return nil
}

// Put writes a new version of the secret at p.
func (e *Engine) Put(ctx context.Context, p string, data json.RawMessage, opt PutOptions) (VersionMetadata, error) {
	if err := checkPath(p); err != nil {
		return VersionMetadata{}, err
	}
	if err := e.checkValue(data); err != nil {
		return VersionMetadata{}, err
	}
	defer e.lock(p)()
	return e.putLocked(ctx, p, data, opt)
}

func (e *Engine) putLocked(ctx context.Context, p string, data []byte, opt PutOptions) (VersionMetadata, error) {
	c, err := e.Config(ctx)
	if err != nil {
		return VersionMetadata{}, err
	}
	now := e.now()
	m, err := e.readMeta(ctx, p)
	if err == ErrNotFound {
		m, err = &storedMeta{Created: now, Versions: map[string]*storedVersion{}}, nil
	}
	if err != nil {
		return VersionMetadata{}, err
	}
	if opt.CAS == nil && (m.CASRequired || c.CASRequired) {
		return VersionMetadata{}, ErrCASRequired
	}
	if opt.CAS != nil && *opt.CAS != m.Current {
		return VersionMetadata{}, &CASError{Expected: *opt.CAS, Current: m.Current}
	}
	n := m.Current + 1
	m.Current, m.Updated = n, now
	m.Versions[strconv.Itoa(n)] = &storedVersion{Created: now}
	ops := []storage.Op{{Kind: storage.OpPut, Key: dataKey(p, n), Value: data}}
	max := m.MaxVersions
	if max == 0 {
		max = c.MaxVersions
	}
	if max == 0 {
		max = DefaultMaxVersions
	}
	if nums := m.numbers(); len(nums) > max {
		for _, old := range nums[:len(nums)-max] {
			delete(m.Versions, strconv.Itoa(old))
			ops = append(ops, storage.Op{Kind: storage.OpDelete, Key: dataKey(p, old)})
		}
		m.Oldest = nums[len(nums)-max]
	}
	ops = append(ops, metaOp(p, m))
	if err := e.cfg.Storage.Transaction(ctx, ops); err != nil {
		return VersionMetadata{}, err
	}
	return versionMeta(m, c, n), nil
}

// Get reads version (0: the current one). For a deleted or destroyed
// version it returns the Version, with nil Data and its metadata, and
// ErrNotFound, so that the server can answer 404 with the metadata as Vault
// does. For a version or secret that does not exist it returns nil and
// ErrNotFound.
func (e *Engine) Get(ctx context.Context, p string, version int) (*Version, error) {
	if err := checkPath(p); err != nil {
		return nil, err
	}
	if version < 0 {
		return nil, fmt.Errorf("%w: %d", ErrBadVersion, version)
	}
	m, err := e.readMeta(ctx, p)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = m.Current
	}
	if m.version(version) == nil {
		return nil, ErrNotFound
	}
	c, err := e.Config(ctx)
	if err != nil {
		return nil, err
	}
	vm := versionMeta(m, c, version)
	if !live(vm, e.now()) {
		return &Version{Metadata: vm}, ErrNotFound
	}
	data, err := e.get(ctx, dataKey(p, version))
	if err != nil {
		return nil, err
	}
	return &Version{Data: data, Metadata: vm}, nil
}

// Patch merges patch (RFC 7386: null removes a member) into the current
// version and writes the result as a new version. ErrNotFound when there is
// no live current version.
func (e *Engine) Patch(ctx context.Context, p string, patch json.RawMessage, opt PutOptions) (VersionMetadata, error) {
	if err := checkPath(p); err != nil {
		return VersionMetadata{}, err
	}
	if err := e.checkValue(patch); err != nil {
		return VersionMetadata{}, err
	}
	defer e.lock(p)()
	cur, err := e.Get(ctx, p, 0)
	if err != nil {
		return VersionMetadata{}, err
	}
	merged, err := MergePatch(cur.Data, patch)
	if err != nil {
		return VersionMetadata{}, err
	}
	if err := e.checkValue(merged); err != nil {
		return VersionMetadata{}, err
	}
	return e.putLocked(ctx, p, merged, opt)
}

// MergePatch applies an RFC 7386 JSON merge patch to the JSON object doc.
// Numbers are kept exactly as written.
func MergePatch(doc, patch []byte) ([]byte, error) {
	var d, pt any
	if err := decodeExact(doc, &d); err != nil {
		return nil, err
	}
	if err := decodeExact(patch, &pt); err != nil {
		return nil, err
	}
	out, err := json.Marshal(merge(d, pt))
	if err != nil {
		return nil, fmt.Errorf("%w: merge result cannot be encoded", ErrInvalidValue)
	}
	return out, nil
}

func decodeExact(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: not JSON", ErrInvalidValue)
	}
	return nil
}

func merge(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = merge(tm[k], v)
	}
	return tm
}

// Delete soft-deletes the current version. A missing secret or an already
// deleted version is not an error.
func (e *Engine) Delete(ctx context.Context, p string) error {
	return e.changeVersions(ctx, p, nil, e.softDelete)
}

func (e *Engine) softDelete(sv *storedVersion, _ int) []storage.Op {
	if sv.Deleted.IsZero() && !sv.Destroyed {
		sv.Deleted = e.now()
	}
	return nil
}

// DeleteVersions soft-deletes versions; unknown ones are ignored.
func (e *Engine) DeleteVersions(ctx context.Context, p string, versions []int) error {
	if err := checkVersions(versions); err != nil {
		return err
	}
	return e.changeVersions(ctx, p, versions, e.softDelete)
}

// Undelete restores soft-deleted versions; unknown and destroyed ones are
// ignored.
func (e *Engine) Undelete(ctx context.Context, p string, versions []int) error {
	if err := checkVersions(versions); err != nil {
		return err
	}
	return e.changeVersions(ctx, p, versions, func(sv *storedVersion, _ int) []storage.Op {
		if !sv.Destroyed {
			sv.Deleted = time.Time{}
		}
		return nil
	})
}

// Destroy removes versions' data for good; unknown ones are ignored.
func (e *Engine) Destroy(ctx context.Context, p string, versions []int) error {
	if err := checkVersions(versions); err != nil {
		return err
	}
	return e.changeVersions(ctx, p, versions, func(sv *storedVersion, n int) []storage.Op {
		sv.Destroyed = true
		return []storage.Op{{Kind: storage.OpDelete, Key: dataKey(p, n)}}
	})
}

func checkVersions(vs []int) error {
	if len(vs) == 0 {
		return fmt.Errorf("%w: no versions given", ErrBadVersion)
	}
	for _, v := range vs {
		if v <= 0 {
			return fmt.Errorf("%w: versions start at 1, not %d", ErrBadVersion, v)
		}
	}
	return nil
}

// changeVersions applies change to each existing version in versions (nil:
// the current one) and stores the result in one transaction.
func (e *Engine) changeVersions(ctx context.Context, p string, versions []int, change func(*storedVersion, int) []storage.Op) error {
	if err := checkPath(p); err != nil {
		return err
	}
	defer e.lock(p)()
	m, err := e.readMeta(ctx, p)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if versions == nil {
		versions = []int{m.Current}
	}
	var ops []storage.Op
	for _, n := range versions {
		if sv := m.version(n); sv != nil {
			ops = append(ops, change(sv, n)...)
		}
	}
	m.Updated = e.now()
	return e.cfg.Storage.Transaction(ctx, append(ops, metaOp(p, m)))
}
