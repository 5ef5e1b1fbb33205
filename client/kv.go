package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// VersionMetadata describes one version of a secret.
type VersionMetadata struct {
	Version        int               `json:"version"`
	CreatedTime    string            `json:"created_time"`
	DeletionTime   string            `json:"deletion_time"`
	Destroyed      bool              `json:"destroyed"`
	CustomMetadata map[string]string `json:"custom_metadata"`
}

// Secret is one version of a secret: its fields and where it came from.
type Secret struct {
	Env      string
	Path     string
	Data     json.RawMessage // the JSON object, numbers exact
	Metadata VersionMetadata
}

// Decode unmarshals the secret's fields into v (a struct or a map).
func (s *Secret) Decode(v any) error {
	if err := json.Unmarshal(s.Data, v); err != nil {
		// json's errors can quote the input: name the secret, not the value.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s/%s: field %q does not fit %s", s.Env, s.Path, te.Field, te.Type)
		}
		return fmt.Errorf("%s/%s: cannot decode the secret into %T", s.Env, s.Path, v)
	}
	return nil
}

// Fields returns the secret's fields as a map.
func (s *Secret) Fields() (map[string]any, error) {
	var m map[string]any
	return m, s.Decode(&m)
}

// Secret reads the current version of the secret at path in env.
func (c *Client) Secret(ctx context.Context, env, path string) (*Secret, error) {
	return c.KV(env).Get(ctx, path, 0)
}

// KV is the KV v2 API of one environment.
type KV struct {
	c   *Client
	env string
}

// KV returns the KV v2 API of environment env.
func (c *Client) KV(env string) *KV { return &KV{c: c, env: env} }

func (kv *KV) p(kind, path string) string {
	return kv.env + "/" + kind + "/" + escapePath(path)
}

// escapePath percent-escapes each segment of a secret path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// Get reads version (0: the current one). A deleted or destroyed version is
// ErrNotFound.
func (kv *KV) Get(ctx context.Context, path string, version int) (*Secret, error) {
	var q url.Values
	if version > 0 {
		q = url.Values{"version": {strconv.Itoa(version)}}
	}
	var out envelope[struct {
		Data     json.RawMessage `json:"data"`
		Metadata VersionMetadata `json:"metadata"`
	}]
	if err := kv.c.do(ctx, http.MethodGet, kv.p("data", path), q, nil, &out, nil); err != nil {
		return nil, err
	}
	return &Secret{Env: kv.env, Path: path, Data: out.Data.Data, Metadata: out.Data.Metadata}, nil
}

// PutOptions are a write's options. CAS, when set, is the version the
// secret must currently have (0: it must not exist).
type PutOptions struct {
	CAS *int
}

type writeBody struct {
	Data    any            `json:"data"`
	Options map[string]any `json:"options,omitempty"`
}

func (o *PutOptions) body(data any) writeBody {
	b := writeBody{Data: data}
	if o != nil && o.CAS != nil {
		b.Options = map[string]any{"cas": *o.CAS}
	}
	return b
}

// Put writes a new version. data is a JSON object: a map, a struct or a
// json.RawMessage.
func (kv *KV) Put(ctx context.Context, path string, data any, opt *PutOptions) (*VersionMetadata, error) {
	var out envelope[VersionMetadata]
	if err := kv.c.do(ctx, http.MethodPost, kv.p("data", path), nil, opt.body(data), &out, nil); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// Patch merges patch (RFC 7386: null removes a field) into the current
// version, making a new one.
func (kv *KV) Patch(ctx context.Context, path string, patch any, opt *PutOptions) (*VersionMetadata, error) {
	var out envelope[VersionMetadata]
	h := http.Header{"Content-Type": {"application/merge-patch+json"}}
	if err := kv.c.do(ctx, http.MethodPatch, kv.p("data", path), nil, opt.body(patch), &out, h); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// Delete soft-deletes the current version; Undelete brings it back.
func (kv *KV) Delete(ctx context.Context, path string) error {
	return kv.c.do(ctx, http.MethodDelete, kv.p("data", path), nil, nil, nil, nil)
}

// DeleteVersions soft-deletes the given versions.
func (kv *KV) DeleteVersions(ctx context.Context, path string, versions []int) error {
	return kv.c.do(ctx, http.MethodPost, kv.p("delete", path), nil, map[string]any{"versions": versions}, nil, nil)
}

// Undelete restores soft-deleted versions.
func (kv *KV) Undelete(ctx context.Context, path string, versions []int) error {
	return kv.c.do(ctx, http.MethodPost, kv.p("undelete", path), nil, map[string]any{"versions": versions}, nil, nil)
}

// Destroy removes versions' data for good.
func (kv *KV) Destroy(ctx context.Context, path string, versions []int) error {
	return kv.c.do(ctx, http.MethodPost, kv.p("destroy", path), nil, map[string]any{"versions": versions}, nil, nil)
}

// Metadata is a secret's metadata and version history.
type Metadata struct {
	CASRequired        bool                       `json:"cas_required"`
	CreatedTime        string                     `json:"created_time"`
	UpdatedTime        string                     `json:"updated_time"`
	CurrentVersion     int                        `json:"current_version"`
	OldestVersion      int                        `json:"oldest_version"`
	MaxVersions        int                        `json:"max_versions"`
	DeleteVersionAfter string                     `json:"delete_version_after"`
	CustomMetadata     map[string]string          `json:"custom_metadata"`
	Versions           map[string]VersionMetadata `json:"versions"`
}

// Metadata reads a secret's metadata and version history.
func (kv *KV) Metadata(ctx context.Context, path string) (*Metadata, error) {
	var out envelope[Metadata]
	if err := kv.c.do(ctx, http.MethodGet, kv.p("metadata", path), nil, nil, &out, nil); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// MetadataUpdate changes the fields that are set.
type MetadataUpdate struct {
	MaxVersions        *int              `json:"max_versions,omitempty"`
	CASRequired        *bool             `json:"cas_required,omitempty"`
	DeleteVersionAfter *time.Duration    `json:"-"`
	CustomMetadata     map[string]string `json:"custom_metadata,omitempty"`
}

// SetMetadata writes a secret's metadata.
func (kv *KV) SetMetadata(ctx context.Context, path string, u MetadataUpdate) error {
	body := map[string]any{}
	if u.MaxVersions != nil {
		body["max_versions"] = *u.MaxVersions
	}
	if u.CASRequired != nil {
		body["cas_required"] = *u.CASRequired
	}
	if u.DeleteVersionAfter != nil {
		body["delete_version_after"] = u.DeleteVersionAfter.String()
	}
	if u.CustomMetadata != nil {
		body["custom_metadata"] = u.CustomMetadata
	}
	return kv.c.do(ctx, http.MethodPost, kv.p("metadata", path), nil, body, nil, nil)
}

// DeleteMetadata destroys every version of a secret and its metadata.
func (kv *KV) DeleteMetadata(ctx context.Context, path string) error {
	return kv.c.do(ctx, http.MethodDelete, kv.p("metadata", path), nil, nil, nil, nil)
}

// List returns the keys below prefix ("" for the top); folders end in "/".
// An empty folder is an empty list, not an error.
func (kv *KV) List(ctx context.Context, prefix string) ([]string, error) {
	var out envelope[struct {
		Keys []string `json:"keys"`
	}]
	p := kv.env + "/metadata/" + escapePath(strings.Trim(prefix, "/"))
	if prefix != "" {
		p += "/"
	}
	err := kv.c.do(ctx, "LIST", p, nil, nil, &out, nil)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return out.Data.Keys, err
}

// Rollback makes the data of an older version the current version, with a
// check-and-set on the current version so a concurrent write is not lost.
func (kv *KV) Rollback(ctx context.Context, path string, version int) (*VersionMetadata, error) {
	md, err := kv.Metadata(ctx, path)
	if err != nil {
		return nil, err
	}
	old, err := kv.Get(ctx, path, version)
	if err != nil {
		return nil, fmt.Errorf("version %d of %s/%s cannot be read (deleted or destroyed versions cannot be rolled back to): %w", version, kv.env, path, err)
	}
	cas := md.CurrentVersion
	return kv.Put(ctx, path, old.Data, &PutOptions{CAS: &cas})
}
