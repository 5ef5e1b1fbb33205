package secrets

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// VersionMetadata describes one version of a secret.
type VersionMetadata struct {
	Version      int
	CreatedTime  time.Time
	DeletionTime time.Time // zero: not deleted and not scheduled for deletion
	Destroyed    bool
	// CustomMetadata is the secret's custom metadata, as Vault reports it
	// with every version read or written; nil in Metadata.Versions.
	CustomMetadata map[string]string
}

// Version is one version of a secret: its data and metadata.
type Version struct {
	Data     json.RawMessage // nil when the version is deleted or destroyed
	Metadata VersionMetadata
}

// Metadata is what Vault's metadata endpoint reports about a secret.
type Metadata struct {
	CASRequired        bool
	CreatedTime        time.Time
	UpdatedTime        time.Time
	CurrentVersion     int
	OldestVersion      int
	MaxVersions        int           // the secret's own setting; 0: the engine's
	DeleteVersionAfter time.Duration // the secret's own setting; 0: the engine's
	CustomMetadata     map[string]string
	Versions           map[int]VersionMetadata // the kept versions, by number
}

// MetadataUpdate changes a secret's settings; a nil field is left unchanged.
type MetadataUpdate struct {
	MaxVersions        *int
	CASRequired        *bool
	DeleteVersionAfter *time.Duration
	CustomMetadata     map[string]string // replaces the whole map; nil: unchanged
	// Check, when set, runs under the secret's lock on the custom metadata
	// the update leaves; current reads the current version's data (nil
	// when there is no live one). An error stops the update.
	Check func(custom map[string]string, current func() ([]byte, error)) error
}

// Vault's limits on custom metadata.
const (
	MaxCustomMetadataKeys     = 64
	MaxCustomMetadataKeyLen   = 128
	MaxCustomMetadataValueLen = 512
)

// storedMeta is the metadata kept at m/<path> (see record.go).
type storedMeta struct {
	CASRequired        bool
	CreatedTime        time.Time
	UpdatedTime        time.Time
	CurrentVersion     int
	OldestVersion      int
	MaxVersions        int
	DeleteVersionAfter time.Duration
	CustomMetadata     map[string]string
	Versions           map[int]*storedVersion
}

type storedVersion struct {
	CreatedTime  time.Time
	DeletionTime time.Time
	Destroyed    bool
}

func (v *storedVersion) deleted(now time.Time) bool {
	return !v.DeletionTime.IsZero() && !v.DeletionTime.After(now)
}

func (v *storedVersion) live(now time.Time) bool { return !v.Destroyed && !v.deleted(now) }

func (m *storedMeta) versionMetadata(n int) VersionMetadata {
	return m.Versions[n].metadata(n, maps.Clone(m.CustomMetadata))
}

// metadata is what a reader sees of version n, with the secret's custom
// metadata (the caller's to keep).
func (v *storedVersion) metadata(n int, custom map[string]string) VersionMetadata {
	return VersionMetadata{
		Version:        n,
		CreatedTime:    v.CreatedTime,
		DeletionTime:   v.DeletionTime,
		Destroyed:      v.Destroyed,
		CustomMetadata: custom,
	}
}

func (m *storedMeta) public() *Metadata {
	md := &Metadata{
		CASRequired:        m.CASRequired,
		CreatedTime:        m.CreatedTime,
		UpdatedTime:        m.UpdatedTime,
		CurrentVersion:     m.CurrentVersion,
		OldestVersion:      m.OldestVersion,
		MaxVersions:        m.MaxVersions,
		DeleteVersionAfter: m.DeleteVersionAfter,
		CustomMetadata:     maps.Clone(m.CustomMetadata),
		Versions:           make(map[int]VersionMetadata, len(m.Versions)),
	}
	for n := range m.Versions {
		vm := m.versionMetadata(n)
		vm.CustomMetadata = nil
		md.Versions[n] = vm
	}
	return md
}

func (m *storedMeta) apply(u MetadataUpdate) error {
	if u.MaxVersions != nil {
		if *u.MaxVersions < 0 {
			return invalidMetadata("max_versions is %d; give 0 (the engine's setting) or more", *u.MaxVersions)
		}
		m.MaxVersions = *u.MaxVersions
	}
	if u.DeleteVersionAfter != nil {
		if *u.DeleteVersionAfter < 0 {
			return invalidMetadata("delete_version_after is negative; give 0s (the engine's setting) or more")
		}
		m.DeleteVersionAfter = *u.DeleteVersionAfter
	}
	if u.CASRequired != nil {
		m.CASRequired = *u.CASRequired
	}
	if u.CustomMetadata != nil {
		if err := checkCustomMetadata(u.CustomMetadata); err != nil {
			return err
		}
		m.CustomMetadata = maps.Clone(u.CustomMetadata)
		if len(m.CustomMetadata) == 0 {
			m.CustomMetadata = nil
		}
	}
	return nil
}

// checkCustomMetadata enforces Vault's limits: at most 64 pairs, keys of
// 1 to 128 bytes, values of 1 to 512 bytes, printable text only. Custom
// metadata is not secret, so errors name the key.
func checkCustomMetadata(cm map[string]string) error {
	if len(cm) > MaxCustomMetadataKeys {
		return invalidMetadata("custom_metadata has %d keys; at most %d are allowed", len(cm), MaxCustomMetadataKeys)
	}
	for _, k := range slices.Sorted(maps.Keys(cm)) {
		v := cm[k]
		switch {
		case k == "":
			return invalidMetadata("custom_metadata has an empty key")
		case len(k) > MaxCustomMetadataKeyLen:
			return invalidMetadata("custom_metadata key %.32q… is %d bytes; at most %d are allowed", k, len(k), MaxCustomMetadataKeyLen)
		case !printable(k):
			return invalidMetadata("custom_metadata key %q has unprintable characters", k)
		case v == "":
			return invalidMetadata("custom_metadata value of key %q is empty; give a value or leave the key out", k)
		case len(v) > MaxCustomMetadataValueLen:
			return invalidMetadata("custom_metadata value of key %q is %d bytes; at most %d are allowed", k, len(v), MaxCustomMetadataValueLen)
		case !printable(v):
			return invalidMetadata("custom_metadata value of key %q has unprintable characters", k)
		}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
