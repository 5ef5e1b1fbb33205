package vault

import (
	"context"
	"errors"
	"strings"

	"github.com/wardhq/ward/internal/secrets"
)

// SecretInfo is one secret met by WalkSecrets: where it is and its
// metadata (never its data).
type SecretInfo struct {
	Env      string
	Path     string
	Metadata *secrets.Metadata
	kv       *secrets.Engine // its environment's engine, to read its data
}

// WalkSecrets calls fn for every secret of every environment, in order of
// environment name and path. An error from fn stops the walk.
func (v *Vault) WalkSecrets(ctx context.Context, fn func(SecretInfo) error) error {
	envs, err := v.Envs()
	if err != nil {
		return err
	}
	for _, env := range envs {
		if err := v.WalkEnv(ctx, env, fn); err != nil {
			return err
		}
	}
	return nil
}

// WalkEnv calls fn for every secret of env, in path order.
func (v *Vault) WalkEnv(ctx context.Context, env *Env, fn func(SecretInfo) error) error {
	var walk func(prefix string) error
	walk = func(prefix string) error {
		keys, err := env.kv.List(ctx, prefix)
		if errors.Is(err, secrets.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range keys {
			if strings.HasSuffix(k, "/") {
				if err := walk(prefix + k); err != nil {
					return err
				}
				continue
			}
			md, err := env.kv.Metadata(ctx, prefix+k)
			if errors.Is(err, secrets.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := fn(SecretInfo{Env: env.Name, Path: prefix + k, Metadata: md, kv: env.kv}); err != nil {
				return err
			}
		}
		return nil
	}
	return walk("")
}
