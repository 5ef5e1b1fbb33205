package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/storage"
)

// Sentinel errors of the JWT auth method.
var (
	ErrJWTNotConfigured = errors.New("the JWT auth method is not configured")
	ErrJWTRoleNotFound  = errors.New("JWT role not found")
	// ErrJWTEnvChanged: the role's environment was deleted (and perhaps
	// made again) since the role was written.
	ErrJWTEnvChanged = errors.New("the role's environment was deleted or recreated since the role was written")
)

const (
	keyJWTConfig  = "sys/auth/jwt/config"
	prefixJWTRole = "sys/auth/jwt/role/"
)

// jwtState is the JWT auth method of an unsealed vault: its issuer
// configuration with the Validator (and key cache) made from it, and its
// roles.
type jwtState struct {
	mu        sync.RWMutex
	cfg       *jwtauth.Config          // guarded by mu; nil until configured
	validator *jwtauth.Validator       // guarded by mu; made from cfg
	roles     map[string]*jwtauth.Role // guarded by mu
}

func (v *Vault) newValidator(cfg jwtauth.Config) (*jwtauth.Validator, error) {
	fo := v.cfg.JWTFetch
	if fo.Now == nil {
		fo.Now = v.cfg.Now
	}
	return jwtauth.NewValidator(cfg, jwtauth.Options{Now: v.cfg.Now, Remote: fo})
}

func (v *Vault) loadJWT(ctx context.Context, u *unsealed) error {
	u.jwt.roles = map[string]*jwtauth.Role{}
	e, err := v.barrier.Get(ctx, keyJWTConfig)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return fmt.Errorf("reading the JWT auth config: %w", err)
	default:
		var cfg jwtauth.Config
		if err := json.Unmarshal(e.Value, &cfg); err != nil {
			return fmt.Errorf("stored JWT auth config: %w", err)
		}
		val, err := v.newValidator(cfg)
		if err != nil {
			return fmt.Errorf("stored JWT auth config: %w", err)
		}
		u.jwt.cfg, u.jwt.validator = &cfg, val
	}
	names, err := v.barrier.List(ctx, prefixJWTRole)
	if err != nil {
		return err
	}
	for _, name := range names {
		e, err := v.barrier.Get(ctx, prefixJWTRole+name)
		if err != nil {
			return fmt.Errorf("reading JWT role %q: %w", name, err)
		}
		var r jwtauth.Role
		dec := json.NewDecoder(bytes.NewReader(e.Value))
		dec.UseNumber() // bound claims keep their exact numbers
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("stored JWT role %q: %w", name, err)
		}
		u.jwt.roles[name] = &r
	}
	return nil
}

// PutJWTConfig checks cfg and stores it, replacing the issuer
// configuration and its cached keys. An issuer's keys are fetched first, as
// Vault does: a URL that gives no usable keys is an error wrapping
// jwtauth.ErrKeysUnavailable, and nothing is changed.
func (v *Vault) PutJWTConfig(ctx context.Context, cfg jwtauth.Config) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	val, err := v.newValidator(cfg)
	if err != nil {
		return err
	}
	if _, err := val.Keys().Keys(ctx, ""); err != nil {
		return err
	}
	return v.putJWT(ctx, keyJWTConfig, cfg, func(j *jwtState) { j.cfg, j.validator = &cfg, val })
}

// putJWT stores value as JSON under key and, once it is stored, applies
// the change to the in-memory state under its lock.
func (v *Vault) putJWT(ctx context.Context, key string, value any, apply func(*jwtState)) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return err
	}
	u, err := v.state()
	if err != nil {
		return err
	}
	u.jwt.mu.Lock()
	defer u.jwt.mu.Unlock()
	if err := v.barrier.Put(ctx, &storage.Entry{Key: key, Value: raw}); err != nil {
		return err
	}
	apply(&u.jwt)
	return nil
}

// JWTConfig returns a copy of the issuer configuration, or
// ErrJWTNotConfigured.
func (v *Vault) JWTConfig() (*jwtauth.Config, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.jwt.mu.RLock()
	defer u.jwt.mu.RUnlock()
	if u.jwt.cfg == nil {
		return nil, ErrJWTNotConfigured
	}
	c := *u.jwt.cfg
	c.JWTValidationPubkeys = append([]string(nil), c.JWTValidationPubkeys...)
	return &c, nil
}

// PutJWTRole checks r and stores it as role name. Its environment must
// exist; the role is pinned to that environment's ID.
func (v *Vault) PutJWTRole(ctx context.Context, name string, r jwtauth.Role) error {
	if err := jwtauth.ValidRoleName(name); err != nil {
		return err
	}
	if err := r.Check(); err != nil {
		return err
	}
	env, err := v.Env(r.Environment)
	if err != nil {
		return err
	}
	r.EnvironmentID = env.ID
	return v.putJWT(ctx, prefixJWTRole+name, r, func(j *jwtState) { j.roles[name] = &r })
}

// JWTRole returns a copy of role name, or an error wrapping
// ErrJWTRoleNotFound.
func (v *Vault) JWTRole(name string) (*jwtauth.Role, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.jwt.mu.RLock()
	defer u.jwt.mu.RUnlock()
	r, ok := u.jwt.roles[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrJWTRoleNotFound, name)
	}
	c := *r
	return &c, nil
}

// JWTRoles lists the role names, sorted.
func (v *Vault) JWTRoles() ([]string, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.jwt.mu.RLock()
	defer u.jwt.mu.RUnlock()
	out := make([]string, 0, len(u.jwt.roles))
	for n := range u.jwt.roles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// DeleteJWTRole removes a role. Tokens it gave live on until they expire
// or are revoked.
func (v *Vault) DeleteJWTRole(ctx context.Context, name string) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	u.jwt.mu.Lock()
	defer u.jwt.mu.Unlock()
	if _, ok := u.jwt.roles[name]; !ok {
		return fmt.Errorf("%w: %q", ErrJWTRoleNotFound, name)
	}
	if err := v.barrier.Delete(ctx, prefixJWTRole+name); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	delete(u.jwt.roles, name)
	return nil
}

// jwtLogin checks jwt against role and, if it passes, makes an orphan ward
// token bound to the role's environment, with the role's policies and
// TTLs and the pipeline's public context as metadata. A refused JWT gives
// an error wrapping jwtauth.ErrInvalidToken; nothing is stored then.
// JWTLoginFrom limits its failures.
func (v *Vault) jwtLogin(ctx context.Context, role, jwt string) (string, *auth.Token, error) {
	u, err := v.state()
	if err != nil {
		return "", nil, err
	}
	u.jwt.mu.RLock()
	val, r := u.jwt.validator, u.jwt.roles[role]
	u.jwt.mu.RUnlock()
	switch {
	case val == nil:
		return "", nil, ErrJWTNotConfigured
	case r == nil:
		return "", nil, fmt.Errorf("%w: %q", ErrJWTRoleNotFound, role)
	}
	res, err := val.Validate(ctx, role, r, jwt)
	if err != nil {
		return "", nil, err
	}
	env, err := v.Env(r.Environment)
	if err != nil || env.ID != r.EnvironmentID {
		return "", nil, fmt.Errorf("%w: role %q, environment %q; write the role again", ErrJWTEnvChanged, role, r.Environment)
	}
	ttl, maxTTL := r.TTLs()
	name := "jwt-" + res.User
	if len(name) > 200 {
		name = name[:200]
	}
	return u.tokens.CreateLogin(ctx, auth.CreateRequest{
		Policies:       r.TokenPolicies,
		Env:            env.Name,
		EnvID:          env.ID,
		TTL:            ttl,
		ExplicitMaxTTL: maxTTL,
		DisplayName:    name,
		Meta:           res.Meta,
	})
}
