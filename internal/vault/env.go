package vault

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/lazyre"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
)

// Env is one environment: a hard boundary with its own data key and its own
// KV v2 engine. ID is random and new each time a name is created, so tokens
// bound to a deleted environment stay dead when the name comes back.
type Env struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`

	v    *Vault          // the vault's rules, for the methods in secrets.go
	kv   *secrets.Engine // its KV v2 engine
	meta *metaCache      // its secrets' metadata, kept up to date by kv's writes
}

var envNameRE = lazyre.New(`^[a-z0-9][a-z0-9-]{0,31}$`)

// reservedEnvNames cannot be environments: they are, or may become, API
// prefixes or words that would make paths ambiguous.
var reservedEnvNames = map[string]bool{
	"sys": true, "auth": true, "root": true, "v1": true, "v2": true, "identity": true,
	"cubbyhole": true, "ward": true, "api": true, "ui": true, "metrics": true, "health": true,
	"data": true, "metadata": true, "token": true, "internal": true, "all": true, "default": true,
}

// EnvNameError says why a name cannot be an environment.
type EnvNameError struct {
	Name   string
	Reason string
	Hint   string
}

func (e *EnvNameError) Error() string {
	msg := fmt.Sprintf("invalid environment name %q: %s", e.Name, e.Reason)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// ValidEnvName checks an environment name: lowercase letters, digits and
// '-', starting with a letter or digit, 1 to 32 characters, not reserved.
func ValidEnvName(name string) error {
	if envNameRE().MatchString(name) {
		if reservedEnvNames[name] {
			return &EnvNameError{Name: name, Reason: "the name is reserved"}
		}
		return nil
	}
	e := &EnvNameError{Name: name}
	folded := strings.ToLower(strings.TrimSpace(name))
	switch {
	case name == "":
		e.Reason = "empty"
	case len(name) > 32:
		e.Reason = "longer than 32 characters"
	case folded != name && envNameRE().MatchString(folded):
		e.Reason = "names are lowercase, without spaces"
		e.Hint = fmt.Sprintf("did you mean %q?", folded)
	default:
		e.Reason = "use lowercase letters, digits and '-', starting with a letter or digit"
	}
	return e
}

func envKey(name string) string { return "sys/envs/" + name }

// envPrefix is where environment id's data lives: every key below it is
// sealed with the environment's own keyring (see keyringOf) and deleted
// with the environment. Its KV engine is below envKVPrefix, the record of
// its reads below envUsagePrefix.
func envPrefix(id string) string { return envRoot + id + "/" }

const envRoot = "env/"

// keyringOf tells the barrier which keyring seals the value at key: the
// environment's own for everything below envPrefix, the system keyring
// for the rest.
func keyringOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, envRoot)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	return id, ok
}

func envKVPrefix(id string) string    { return envPrefix(id) + "kv/" }
func envUsagePrefix(id string) string { return envPrefix(id) + "usage/" }

// attach gives env its KV engine and the vault whose rules its methods
// apply.
func (v *Vault) attach(env *Env) {
	env.v = v
	env.meta = &metaCache{}
	env.kv = secrets.New(secrets.Config{
		Storage: &metaWatch{Backend: storage.NewPrefixed(v.barrier, envKVPrefix(env.ID)), c: env.meta},
		Locker:  storage.PrefixKeyLocker(v.keyLocker(), envKVPrefix(env.ID)),
		Now:     v.cfg.Now,
	})
}

func (v *Vault) loadEnvs(ctx context.Context, u *unsealed) error {
	envs, err := loadAll(ctx, v.barrier, envKey(""), "environment", decodeJSON[*Env])
	if err != nil {
		return err
	}
	for _, env := range envs {
		v.attach(env)
		u.envs[env.Name] = env
	}
	return nil
}

// CreateEnv creates an environment with a fresh id and data key.
func (v *Vault) CreateEnv(ctx context.Context, name string) (*Env, error) {
	if err := ValidEnvName(name); err != nil {
		return nil, err
	}
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.envs[name]; ok {
		return nil, fmt.Errorf("%w: %q", ErrEnvExists, name)
	}
	var raw [16]byte
	if _, err := io.ReadFull(v.cfg.Rand, raw[:]); err != nil {
		return nil, err
	}
	env := &Env{Name: name, ID: hex.EncodeToString(raw[:]), CreatedAt: v.cfg.Now().UTC()}
	if err := v.barrier.CreateEnvKey(ctx, env.ID); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(env)
	if err := v.barrier.Put(ctx, &storage.Entry{Key: envKey(name), Value: b}); err != nil {
		v.barrier.DestroyEnvKey(ctx, env.ID)
		return nil, err
	}
	v.attach(env)
	u.envs[name] = env
	return env, nil
}

// Env returns the environment called name.
func (v *Vault) Env(name string) (*Env, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	env, ok := u.envs[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrEnvNotFound, name)
	}
	return env, nil
}

// Envs lists the environments, sorted by name.
func (v *Vault) Envs() ([]*Env, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]*Env, 0, len(u.envs))
	for _, e := range u.envs {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteEnv destroys an environment: its leases are revoked first (if any
// revocation fails, nothing is deleted), then its data key (after which none of
// its secrets can be decrypted), then every token bound to it, then its
// registry entry and the ciphertexts left behind.
func (v *Vault) DeleteEnv(ctx context.Context, name string) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	u.mu.Lock()
	env, ok := u.envs[name]
	if !ok {
		u.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrEnvNotFound, name)
	}
	u.mu.Unlock()
	if err := v.revokeEnvLeases(ctx, u, env); err != nil {
		return err
	}
	u.mu.Lock()
	if u.envs[name] != env {
		u.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrEnvNotFound, name)
	}
	delete(u.envs, name)
	u.mu.Unlock()
	u.dropEnvUsage(env.ID)
	if err := v.barrier.DestroyEnvKey(ctx, env.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if _, err := u.tokens.RevokeEnv(ctx, env.ID); err != nil {
		return err
	}
	if err := v.barrier.Delete(ctx, envKey(name)); err != nil {
		return err
	}
	if err := v.dropEnvRules(ctx, name); err != nil {
		return err
	}
	return deleteTree(ctx, v.barrier, envPrefix(env.ID))
}

// deleteTree removes every key below prefix.
func deleteTree(ctx context.Context, b storage.Backend, prefix string) error {
	names, err := b.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			if err := deleteTree(ctx, b, prefix+n); err != nil {
				return err
			}
			continue
		}
		if err := b.Delete(ctx, prefix+n); err != nil {
			return err
		}
	}
	return nil
}
