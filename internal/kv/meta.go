package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// EngineConfig is the mount's configuration (NAME/config).
type EngineConfig struct {
	MaxVersions        int           `json:"max_versions"`
	CASRequired        bool          `json:"cas_required"`
	DeleteVersionAfter time.Duration `json:"delete_version_after"`
}

// VersionMetadata describes one version. A zero DeletionTime means the
// version is not deleted; a DeletionTime in the future (set by
// delete_version_after) means it will be.
type VersionMetadata struct {
	Version        int
	CreatedTime    time.Time
	DeletionTime   time.Time
	Destroyed      bool
	CustomMetadata map[string]string
}

// Metadata is a secret's metadata and version history.
type Metadata struct {
	CASRequired        bool
	CreatedTime        time.Time
	UpdatedTime        time.Time
	CurrentVersion     int
	OldestVersion      int
	MaxVersions        int
	DeleteVersionAfter time.Duration
	CustomMetadata     map[string]string
	Versions           map[int]VersionMetadata
}

// storedMeta is the metadata record kept at m/PATH.
type storedMeta struct {
	Created            time.Time                 `json:"created"`
	Updated            time.Time                 `json:"updated"`
	Current            int                       `json:"current"`
	Oldest             int                       `json:"oldest"`
	MaxVersions        int                       `json:"max_versions,omitempty"`
	CASRequired        bool                      `json:"cas_required,omitempty"`
	DeleteVersionAfter time.Duration             `json:"delete_version_after,omitempty"`
	Custom             map[string]string         `json:"custom,omitempty"`
	Versions           map[string]*storedVersion `json:"versions"`
}

type storedVersion struct {
	Created   time.Time `json:"created"`
	Deleted   time.Time `json:"deleted,omitzero"`
	Destroyed bool      `json:"destroyed,omitempty"`
}

func (m *storedMeta) version(n int) *storedVersion { return m.Versions[strconv.Itoa(n)] }

// numbers returns the versions held, in ascending order.
func (m *storedMeta) numbers() []int {
	out := make([]int, 0, len(m.Versions))
	for k := range m.Versions {
		n, _ := strconv.Atoi(k)
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func (e *Engine) readMeta(ctx context.Context, p string) (*storedMeta, error) {
	b, err := e.get(ctx, metaKey(p))
	if err != nil {
		return nil, err
	}
	var m storedMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("metadata of %q is damaged: %w", p, err)
	}
	if m.Versions == nil {
		m.Versions = map[string]*storedVersion{}
	}
	return &m, nil
}

func metaOp(p string, m *storedMeta) storage.Op {
	b, _ := json.Marshal(m)
	return storage.Op{Kind: storage.OpPut, Key: metaKey(p), Value: b}
}

// Config reads the engine's configuration.
func (e *Engine) Config(ctx context.Context) (EngineConfig, error) {
	b, err := e.get(ctx, configKey)
	if err == ErrNotFound {
		return EngineConfig{MaxVersions: DefaultMaxVersions}, nil
	}
	if err != nil {
		return EngineConfig{}, err
	}
	var c EngineConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return EngineConfig{}, fmt.Errorf("engine configuration is damaged: %w", err)
	}
	return c, nil
}

// SetConfig writes the engine's configuration. MaxVersions 0 means the
// default of 10.
func (e *Engine) SetConfig(ctx context.Context, c EngineConfig) error {
	if c.MaxVersions < 0 || c.DeleteVersionAfter < 0 {
		return fmt.Errorf("%w: max_versions and delete_version_after cannot be negative", ErrBadMetadata)
	}
	b, _ := json.Marshal(c)
	return e.cfg.Storage.Put(ctx, &storage.Entry{Key: configKey, Value: b})
}

// deleteAfter is the delete_version_after in force for m.
func deleteAfter(m *storedMeta, c EngineConfig) time.Duration {
	if m.DeleteVersionAfter > 0 {
		return m.DeleteVersionAfter
	}
	return c.DeleteVersionAfter
}

// versionMeta is what callers see of version n.
func versionMeta(m *storedMeta, c EngineConfig, n int) VersionMetadata {
	sv := m.version(n)
	vm := VersionMetadata{Version: n, CreatedTime: sv.Created, DeletionTime: sv.Deleted, Destroyed: sv.Destroyed, CustomMetadata: m.Custom}
	if vm.DeletionTime.IsZero() && !sv.Destroyed {
		if d := deleteAfter(m, c); d > 0 {
			vm.DeletionTime = sv.Created.Add(d)
		}
	}
	return vm
}

// live reports whether version n holds readable data at now.
func live(vm VersionMetadata, now time.Time) bool {
	return !vm.Destroyed && (vm.DeletionTime.IsZero() || vm.DeletionTime.After(now))
}

// Metadata reads a secret's metadata and version history.
func (e *Engine) Metadata(ctx context.Context, p string) (*Metadata, error) {
	if err := checkPath(p); err != nil {
		return nil, err
	}
	m, err := e.readMeta(ctx, p)
	if err != nil {
		return nil, err
	}
	c, err := e.Config(ctx)
	if err != nil {
		return nil, err
	}
	out := &Metadata{
		CASRequired: m.CASRequired, CreatedTime: m.Created, UpdatedTime: m.Updated,
		CurrentVersion: m.Current, OldestVersion: m.Oldest, MaxVersions: m.MaxVersions,
		DeleteVersionAfter: m.DeleteVersionAfter, CustomMetadata: m.Custom,
		Versions: make(map[int]VersionMetadata, len(m.Versions)),
	}
	for _, n := range m.numbers() {
		out.Versions[n] = versionMeta(m, c, n)
	}
	return out, nil
}

// MetadataUpdate changes the fields that are set; CustomMetadata nil means
// unchanged, an empty map removes it all.
type MetadataUpdate struct {
	MaxVersions        *int
	CASRequired        *bool
	DeleteVersionAfter *time.Duration
	CustomMetadata     map[string]string
}

// Custom metadata limits, as Vault's.
const (
	maxCustomKeys     = 64
	maxCustomKeyLen   = 128
	maxCustomValueLen = 512
)

func checkCustom(c map[string]string) error {
	if len(c) > maxCustomKeys {
		return fmt.Errorf("%w: custom_metadata has %d keys; at most %d", ErrBadMetadata, len(c), maxCustomKeys)
	}
	for k, v := range c {
		switch {
		case k == "":
			return fmt.Errorf("%w: custom_metadata has an empty key", ErrBadMetadata)
		case len(k) > maxCustomKeyLen:
			return fmt.Errorf("%w: a custom_metadata key is longer than %d bytes", ErrBadMetadata, maxCustomKeyLen)
		case len(v) > maxCustomValueLen:
			return fmt.Errorf("%w: custom_metadata %q is longer than %d bytes", ErrBadMetadata, k, maxCustomValueLen)
		}
	}
	return nil
}

// SetMetadata writes a secret's metadata, creating it when absent, as Vault
// does. A lower max_versions takes effect at the next write.
func (e *Engine) SetMetadata(ctx context.Context, p string, u MetadataUpdate) error {
	if err := checkPath(p); err != nil {
		return err
	}
	if u.MaxVersions != nil && *u.MaxVersions < 0 || u.DeleteVersionAfter != nil && *u.DeleteVersionAfter < 0 {
		return fmt.Errorf("%w: max_versions and delete_version_after cannot be negative", ErrBadMetadata)
	}
	if err := checkCustom(u.CustomMetadata); err != nil {
		return err
	}
	defer e.lock(p)()
	m, err := e.readMeta(ctx, p)
	now := e.now()
	if err == ErrNotFound {
		m, err = &storedMeta{Created: now, Versions: map[string]*storedVersion{}}, nil
	}
	if err != nil {
		return err
	}
	if u.MaxVersions != nil {
		m.MaxVersions = *u.MaxVersions
	}
	if u.CASRequired != nil {
		m.CASRequired = *u.CASRequired
	}
	if u.DeleteVersionAfter != nil {
		m.DeleteVersionAfter = *u.DeleteVersionAfter
	}
	if u.CustomMetadata != nil {
		m.Custom = u.CustomMetadata
		if len(m.Custom) == 0 {
			m.Custom = nil
		}
	}
	m.Updated = now
	return e.cfg.Storage.Transaction(ctx, []storage.Op{metaOp(p, m)})
}

// DeleteMetadata destroys every version of a secret and its metadata. A
// secret that does not exist is not an error.
func (e *Engine) DeleteMetadata(ctx context.Context, p string) error {
	if err := checkPath(p); err != nil {
		return err
	}
	defer e.lock(p)()
	m, err := e.readMeta(ctx, p)
	if err == ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	ops := []storage.Op{{Kind: storage.OpDelete, Key: metaKey(p)}}
	for _, n := range m.numbers() {
		ops = append(ops, storage.Op{Kind: storage.OpDelete, Key: dataKey(p, n)})
	}
	return e.cfg.Storage.Transaction(ctx, ops)
}

// List returns the secrets and folders ("name/") directly below prefix
// ("" or ending in "/"), sorted. ErrNotFound when there are none, as Vault
// answers 404.
func (e *Engine) List(ctx context.Context, prefix string) ([]string, error) {
	if prefix != "" && (prefix[len(prefix)-1] != '/' || checkPath(prefix[:len(prefix)-1]) != nil) {
		return nil, fmt.Errorf("%w: list a folder like payments/", ErrBadPath)
	}
	keys, err := e.cfg.Storage.List(ctx, "m/"+prefix)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, ErrNotFound
	}
	return keys, nil
}
