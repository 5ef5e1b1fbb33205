package vault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/types"
)

// Several ward servers on one shared store (PostgreSQL) each keep caches
// of it: tokens, policies and the ACLs made from them, types, environment
// rules, environments, the JWT auth method, alert thresholds and each
// engine's KV configuration. When the store is a storage.Notifier, the
// unsealed vault listens to what every server commits and drops or
// reloads what a change touched, so a revoked token or a narrowed policy
// holds on every server within milliseconds. The vault's own commits come
// back too; reloading after them is harmless. Login lockouts and used TOTP
// steps are not caches: they live in the store (see shared.go).

// changeRetry is how long the watcher first waits before reloading again
// after a reload failed (the store was away); each failure in a row
// doubles it, up to changeRetryMax.
const (
	changeRetry    = 200 * time.Millisecond
	changeRetryMax = 5 * time.Second
)

// stale is what a batch of changes made stale: the cached sets to reload
// whole, and the tokens and KV configurations to drop one by one.
type stale struct {
	envs, policies, types, envRules, jwt, alerts bool
	allTokens                                    bool
	tokens                                       []string            // keys relative to sys/token/
	kvConfigs                                    []string            // environment IDs
	kvKeys                                       map[string][]string // environment ID: written keys under its kv/
	kvAll                                        bool                // every KV record may have changed
	leases                                       map[string][]string // environment ID: changed lease records (the id after "ENV/")
	allLeases                                    bool                // every lease record may have changed
}

func (s *stale) empty() bool {
	return !s.envs && !s.policies && !s.types && !s.envRules && !s.jwt && !s.alerts && !s.allTokens &&
		len(s.tokens) == 0 && len(s.kvConfigs) == 0 && len(s.kvKeys) == 0 && !s.kvAll &&
		len(s.leases) == 0 && !s.allLeases
}

// add records what c makes stale.
func (s *stale) add(c storage.Change) {
	if c.All {
		s.envs, s.policies, s.types, s.envRules, s.jwt, s.alerts, s.allTokens, s.kvAll = true, true, true, true, true, true, true, true
		s.allLeases = true
		return
	}
	for _, k := range c.Keys {
		switch {
		case strings.HasPrefix(k, "sys/token/"):
			s.tokens = append(s.tokens, strings.TrimPrefix(k, "sys/token/"))
		case strings.HasPrefix(k, envKey("")):
			s.envs = true
		case strings.HasPrefix(k, policyKey("")):
			s.policies = true
		case strings.HasPrefix(k, typeKey("")):
			s.types = true
		case strings.HasPrefix(k, envRulesKey("")):
			s.envRules = true
		case strings.HasPrefix(k, "sys/auth/jwt/"):
			s.jwt = true
		case k == keyAlerts:
			s.alerts = true
		case strings.HasPrefix(k, "env/") && strings.HasSuffix(k, "/kv/config"):
			s.kvConfigs = append(s.kvConfigs, strings.TrimSuffix(strings.TrimPrefix(k, "env/"), "/kv/config"))
		case strings.HasPrefix(k, "env/") && strings.Contains(k, "/leases/"):
			if id, rest, ok := strings.Cut(strings.TrimPrefix(k, "env/"), "/leases/"); ok && !strings.Contains(id, "/") && rest != "" {
				if s.leases == nil {
					s.leases = map[string][]string{}
				}
				s.leases[id] = append(s.leases[id], rest)
			}
		case strings.HasPrefix(k, "env/"):
			// A secret's metadata record: the metadata cache reads it again.
			if id, rest, ok := strings.Cut(strings.TrimPrefix(k, "env/"), "/kv/"); ok && !strings.Contains(id, "/") && isMetadataKey(rest) {
				if s.kvKeys == nil {
					s.kvKeys = map[string][]string{}
				}
				s.kvKeys[id] = append(s.kvKeys[id], rest)
			}
		}
	}
}

// watcher is the running change listener of an unsealed vault.
type watcher struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// subscribe starts listening for changes, before the caches are first
// loaded so that no change between the load and the listen is missed. It
// returns nil channels for a store that is not shared.
func (v *Vault) subscribe() (<-chan storage.Change, context.CancelFunc, error) {
	n, ok := v.cfg.Storage.(storage.Notifier)
	if !ok {
		return nil, func() {}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := n.Changes(ctx)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return ch, cancel, nil
}

// startWatch applies the changes from ch to u's caches until cancel.
func (v *Vault) startWatch(u *unsealed, ch <-chan storage.Change, cancel context.CancelFunc) {
	w := &watcher{cancel: cancel, done: make(chan struct{})}
	u.watch = w
	if ch == nil {
		close(w.done)
		return
	}
	go func() {
		defer close(w.done)
		var pending stale
		wait := changeRetry
		failing := false
		for {
			var retry <-chan time.Time
			if !pending.empty() {
				retry = time.After(wait)
			}
			select {
			case c, ok := <-ch:
				if !ok {
					return
				}
				pending.add(c)
			case <-retry:
			}
			// Take whatever else is waiting, so a burst costs one reload.
			for more := true; more; {
				select {
				case c, ok := <-ch:
					if !ok {
						return
					}
					pending.add(c)
				default:
					more = false
				}
			}
			var err error
			pending, err = v.refresh(u, pending)
			switch {
			case err != nil && !failing:
				v.cfg.Logger.Warn("reloading what another server changed failed; retrying until the database answers", ErrorLogArgs(err)...)
				failing = true
			case err != nil:
				wait = min(2*wait, changeRetryMax)
			case failing:
				v.cfg.Logger.Info("reloaded what other servers changed while the database was away")
				failing, wait = false, changeRetry
			}
		}
	}()
}

// stopWatch ends u's watcher and waits for it.
func (u *unsealed) stopWatch() {
	if u.watch == nil {
		return
	}
	u.watch.cancel()
	<-u.watch.done
}

// refresh drops and reloads what s names and returns what it could not
// reload (the store was away), to try again, with the first error.
func (v *Vault) refresh(u *unsealed, s stale) (stale, error) {
	ctx := context.Background()
	if s.allTokens {
		u.tokens.ForgetAll()
	}
	for _, k := range s.tokens {
		u.tokens.Forget(k)
	}
	s.allTokens, s.tokens = false, nil
	var left stale
	var first error
	fail := func(what string, err error) bool {
		if err != nil && first == nil {
			first = fmt.Errorf("reloading %s: %w", what, err)
		}
		return err != nil
	}
	if s.envs {
		left.envs = fail("the environments", v.reloadEnvs(ctx, u))
	}
	if s.envs || len(s.kvConfigs) > 0 {
		u.forgetKVConfigs(s.envs, s.kvConfigs)
	}
	u.touchMetadata(s.kvAll, s.kvKeys)
	if s.policies {
		ps, err := loadAll(ctx, v.barrier, policyKey(""), "policy", policy.Parse)
		if left.policies = fail("the policies", err); !left.policies {
			u.mu.Lock()
			u.policies, u.acls = ps, map[string]*policy.ACL{}
			u.mu.Unlock()
		}
	}
	if s.types {
		ts, err := loadAll(ctx, v.barrier, typeKey(""), "type", types.Compile)
		if left.types = fail("the types", err); !left.types {
			u.mu.Lock()
			u.types = ts
			u.mu.Unlock()
		}
	}
	if s.envRules {
		rs, err := loadAll(ctx, v.barrier, envRulesKey(""), "rules of environment", decodeJSON[EnvRules])
		if left.envRules = fail("the environment rules", err); !left.envRules {
			u.mu.Lock()
			u.envRules = rs
			u.mu.Unlock()
		}
	}
	if s.jwt {
		left.jwt = fail("the JWT auth method", v.reloadJWT(ctx, u))
	}
	if s.alerts {
		left.alerts = fail("the alert thresholds", v.loadAlerts(ctx))
	}
	if s.allLeases || len(s.leases) > 0 {
		left.allLeases, left.leases = u.followLeases(ctx, s.allLeases, s.leases, fail)
	}
	return left, first
}

// reloadEnvs reads the environments again: new ones are attached, gone
// ones dropped, and the ones that stay keep their engines.
func (v *Vault) reloadEnvs(ctx context.Context, u *unsealed) error {
	envs, err := loadAll(ctx, v.barrier, envKey(""), "environment", decodeJSON[*Env])
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	next := make(map[string]*Env, len(envs))
	for name, env := range envs {
		if old, ok := u.envs[name]; ok && old.ID == env.ID {
			next[name] = old
			continue
		}
		v.attach(env)
		next[name] = env
	}
	u.envs = next
	return nil
}

// forgetKVConfigs drops the cached KV configuration of the environments
// whose IDs are in ids, or of all of them.
func (u *unsealed) forgetKVConfigs(all bool, ids []string) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, env := range u.envs {
		if all || slices.Contains(ids, env.ID) {
			env.kv.ForgetConfig()
		}
	}
}

// isMetadataKey reports whether key, relative to an environment's KV
// engine, is a secret's metadata record.
func isMetadataKey(key string) bool {
	_, ok := secrets.MetadataPath(key)
	return ok
}

// touchMetadata tells the environments' metadata caches (metacache.go) of
// the KV records another server wrote, by environment ID, or to read
// everything again when all is set.
func (u *unsealed) touchMetadata(all bool, keys map[string][]string) {
	if !all && len(keys) == 0 {
		return
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, env := range u.envs {
		if all {
			env.meta.reset()
			continue
		}
		for _, k := range keys[env.ID] {
			env.meta.touchKey(k)
		}
	}
}

// reloadJWT reads the JWT auth method again and swaps it in whole.
func (v *Vault) reloadJWT(ctx context.Context, u *unsealed) error {
	var fresh unsealed
	if err := v.loadJWT(ctx, &fresh); err != nil {
		return err
	}
	u.jwt.mu.Lock()
	defer u.jwt.mu.Unlock()
	u.jwt.cfg, u.jwt.validator, u.jwt.roles = fresh.jwt.cfg, fresh.jwt.validator, fresh.jwt.roles
	return nil
}
