package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/types"
)

// An environment's secrets, as the API reaches them: KV v2 semantics from
// package secrets, with the vault's rules on top. Every data write (put,
// patch) must carry the environment's required metadata and conform to
// the type its metadata names, checked under the secret's lock on the
// value about to be stored; a metadata write that sets custom metadata
// must keep both true of the current value. A read is recorded for usage.

// SecretExists reports whether a secret has metadata at p: a write to it
// is then an update, not a create.
func (e *Env) SecretExists(ctx context.Context, p string) (bool, error) {
	_, err := e.kv.Metadata(ctx, p)
	switch {
	case errors.Is(err, secrets.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// ReadSecret returns version (0: the current one) of the secret at p and
// records the read by reader for usage. A deleted or destroyed version is
// returned with nil Data and an error wrapping secrets.ErrNotFound.
func (e *Env) ReadSecret(ctx context.Context, p string, version int, reader string) (*secrets.Version, error) {
	return e.ReadSecretBy(ctx, p, version, reader, "")
}

// ReadSecretBy is ReadSecret that records the reading token's accessor
// too. A secret that was retired answers a *RetiredError (wrapping
// rotate.ErrRetired) with its tombstone.
func (e *Env) ReadSecretBy(ctx context.Context, p string, version int, reader, accessor string) (*secrets.Version, error) {
	ver, err := e.kv.Get(ctx, p, version)
	if err == nil && ver.Data != nil {
		e.v.RecordReadBy(e, p, reader, accessor, ver.Metadata.Version)
	}
	if ver == nil && errors.Is(err, secrets.ErrNotFound) {
		if t, terr := e.Tombstone(ctx, p); terr == nil && t != nil {
			return nil, &RetiredError{Tombstone: t}
		}
	}
	return ver, err
}

// PutSecret writes data as a new version of the secret at p, check-and-set
// against *cas when cas is not nil. See the rules above; a failure is a
// 400-kind error naming the environment, path, fields and rules, never a
// value, and nothing is written.
func (e *Env) PutSecret(ctx context.Context, p string, data json.RawMessage, cas *int) (secrets.VersionMetadata, error) {
	return e.kv.Put(ctx, p, data, secrets.PutOptions{CAS: cas, Check: e.writeCheck(p)})
}

// PatchSecret merges mergePatch (RFC 7396) into the current version of the
// secret at p and writes the result, under the rules of PutSecret.
func (e *Env) PatchSecret(ctx context.Context, p string, mergePatch json.RawMessage, cas *int) (secrets.VersionMetadata, error) {
	return e.kv.Patch(ctx, p, mergePatch, secrets.PutOptions{CAS: cas, Check: e.writeCheck(p)})
}

// writeCheck is what a data write of p must pass, run by the engine under
// the secret's lock on the data about to be stored.
func (e *Env) writeCheck(p string) func(data []byte, custom map[string]string) error {
	return func(data []byte, custom map[string]string) error {
		t, err := e.v.secretRules(e.Name, p, custom)
		if t == nil || err != nil {
			return err
		}
		return t.ValidateJSON(e.Name, p, data)
	}
}

// SetSecretMetadata changes the metadata of the secret at p. Custom
// metadata, when set, must carry the environment's required metadata,
// well-formed expires_at and rotate_every, and a type that exists and
// that the current value conforms to.
func (e *Env) SetSecretMetadata(ctx context.Context, p string, u secrets.MetadataUpdate) error {
	if u.CustomMetadata != nil {
		u.Check = e.metadataCheck(p)
	}
	return e.kv.SetMetadata(ctx, p, u)
}

func (e *Env) metadataCheck(p string) func(map[string]string, func() ([]byte, error)) error {
	return func(custom map[string]string, current func() ([]byte, error)) error {
		if err := CheckMetadataFormats(e.Name, p, custom); err != nil {
			return err
		}
		t, err := e.v.secretRules(e.Name, p, custom)
		if t == nil || err != nil {
			return err
		}
		data, err := current()
		if err != nil || data == nil {
			return err
		}
		if err := t.ValidateJSON(e.Name, p, data); err != nil {
			var ve *types.ValidationError
			if errors.As(err, &ve) {
				return refuse(KindInvalid, "%v; the current value does not conform to type %s: fix it first (ward kv patch --env %s %s FIELD=@FILE) or name another type", err, custom[MetaType], e.Name, p)
			}
			return err
		}
		return nil
	}
}

// secretRules checks custom metadata against environment env's required
// metadata and returns the type it names: nil when it names none.
func (v *Vault) secretRules(env, p string, custom map[string]string) (*types.Type, error) {
	rules, err := v.EnvRules(env)
	if err != nil {
		return nil, err
	}
	if missing := rules.Missing(custom); len(missing) > 0 {
		return nil, &MissingMetadataError{Env: env, Path: p, Missing: missing}
	}
	name := custom[MetaType]
	if name == "" {
		return nil, nil
	}
	t, err := v.Type(name)
	if err != nil {
		var nf *TypeNotFoundError
		if errors.As(err, &nf) {
			msg := fmt.Sprintf("%s/%s: metadata \"type\" names %q, which is not a type", env, p, nf.Name)
			if nf.Suggest != "" {
				msg += fmt.Sprintf("; did you mean %q?", nf.Suggest)
			}
			return nil, refuse(KindInvalid, "%s; hint: ward type list", msg)
		}
		return nil, err
	}
	return t, nil
}

// SecretMetadata returns the metadata of the secret at p.
func (e *Env) SecretMetadata(ctx context.Context, p string) (*secrets.Metadata, error) {
	return e.kv.Metadata(ctx, p)
}

// ListSecrets lists the names below prefix ("" or ending in "/"); folders
// end in "/".
func (e *Env) ListSecrets(ctx context.Context, prefix string) ([]string, error) {
	return e.kv.List(ctx, prefix)
}

// DeleteLatest soft-deletes the current version of the secret at p.
func (e *Env) DeleteLatest(ctx context.Context, p string) error { return e.kv.Delete(ctx, p) }

// DeleteVersions soft-deletes versions of the secret at p.
func (e *Env) DeleteVersions(ctx context.Context, p string, versions []int) error {
	return e.kv.DeleteVersions(ctx, p, versions)
}

// UndeleteVersions restores soft-deleted versions of the secret at p.
func (e *Env) UndeleteVersions(ctx context.Context, p string, versions []int) error {
	return e.kv.Undelete(ctx, p, versions)
}

// DestroyVersions destroys versions of the secret at p for good.
func (e *Env) DestroyVersions(ctx context.Context, p string, versions []int) error {
	return e.kv.Destroy(ctx, p, versions)
}

// DestroySecret destroys every version of the secret at p and its
// metadata, and forgets who read it. Forgetting is best effort: its
// failure is logged, the secret is gone.
func (e *Env) DestroySecret(ctx context.Context, p string) error {
	if err := e.kv.DeleteMetadata(ctx, p); err != nil {
		return err
	}
	if err := e.v.ForgetUsage(ctx, e, p); err != nil {
		e.v.cfg.Logger.Warn("forgetting the reads of a destroyed secret failed", ErrorLogArgs(err, "env", e.Name)...)
	}
	return nil
}

// KVConfig returns the environment's KV engine settings.
func (e *Env) KVConfig(ctx context.Context) (secrets.EngineConfig, error) { return e.kv.Config(ctx) }

// SetKVConfig replaces the environment's KV engine settings.
func (e *Env) SetKVConfig(ctx context.Context, c secrets.EngineConfig) error {
	return e.kv.SetConfig(ctx, c)
}
