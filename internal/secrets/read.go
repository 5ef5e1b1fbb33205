package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/wardhq/ward/internal/storage"
)

// Get returns version of the secret at path; version 0 means the current
// version.
//
// A deleted or destroyed version returns its *Version, with nil Data and its
// metadata, together with an error wrapping ErrNotFound: the server answers
// 404 with the metadata, as Vault does. A version that does not exist
// returns nil and ErrNotFound. A negative version is ErrBadVersion.
func (e *Engine) Get(ctx context.Context, path string, version int) (*Version, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	if version < 0 {
		return nil, fmt.Errorf("%w: version must be 0 (current) or more, not %d", ErrBadVersion, version)
	}
	// The metadata and the version it names are read in one read
	// transaction where the store allows it.
	var v *Version
	err := storage.View(ctx, e.st, func(r storage.Reader) error {
		var err error
		v, err = e.getFrom(ctx, r, path, version)
		return err
	})
	return v, err
}

// getFrom is Get, reading through r.
func (e *Engine) getFrom(ctx context.Context, r storage.Reader, path string, version int) (*Version, error) {
	rec, err := readMetaRecord(ctx, r, path)
	if err != nil {
		return nil, err
	}
	version, sv, custom, err := decodeRead(rec, version)
	if err != nil {
		return nil, err
	}
	if sv == nil {
		return nil, fmt.Errorf("%w: no version %d of %q", ErrNotFound, version, path)
	}
	v := &Version{Metadata: sv.metadata(version, custom)}
	if !sv.live(e.now()) {
		return v, fmt.Errorf("%w: version %d of %q is deleted or destroyed", ErrNotFound, version, path)
	}
	ent, err := r.Get(ctx, versionKey(path, version))
	if errors.Is(err, storage.ErrNotFound) {
		// Trimmed or destroyed by a writer since the metadata was read.
		return nil, fmt.Errorf("%w: no version %d of %q", ErrNotFound, version, path)
	}
	if err != nil {
		return nil, err
	}
	v.Data = ent.Value
	return v, nil
}

// Metadata returns the metadata of the secret at path, or ErrNotFound.
func (e *Engine) Metadata(ctx context.Context, path string) (*Metadata, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	m, err := e.loadMeta(ctx, path)
	if err != nil {
		return nil, err
	}
	return m.public(), nil
}

// List returns the secret names and "folder/" names directly below prefix
// ("" or a path ending in "/"), sorted, relative to prefix. It returns
// ErrNotFound when there are none, for the server's 404.
func (e *Engine) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	names, err := e.st.List(ctx, metaKey(prefix))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no secrets below %q", ErrNotFound, prefix)
	}
	return names, nil
}
