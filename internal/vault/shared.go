package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/storage"
)

// On a store that several servers share (a storage.KeyLocker: ward
// servers on one PostgreSQL), login lockouts and used TOTP steps live in
// the store rather than in each server's memory, so a name locked or a
// code used on one server is locked or used on all:
//
//	sys/lockout/userpass/NAME   failed password logins of NAME (JSON times)
//	sys/mfa/used/IDENTITY       IDENTITY's last used TOTP step and failures
//
// Each read-modify-write holds the record's key lock on every server. A
// record whose failures have all expired is deleted at its next update.
// On a store of one process (bolt) they stay in memory, as before.
const (
	prefixLockouts = "sys/lockout/userpass/"
	prefixTOTPUsed = "sys/mfa/used/"
)

// keyLocker is the store's storage.KeyLocker, nil when no other process
// shares it.
func (v *Vault) keyLocker() storage.KeyLocker {
	l, _ := v.cfg.Storage.(storage.KeyLocker)
	return l
}

// shareLoginState makes cfg's lockout and TOTP state live in the store
// when the store is shared, unless the caller set them.
func (v *Vault) shareLoginState(cfg *Config) {
	if v.keyLocker() == nil {
		return
	}
	if cfg.Userpass.Failures == nil {
		cfg.Userpass.Failures = sharedLockouts{v}
	}
	if cfg.MFA.States == nil {
		cfg.MFA.States = sharedTOTP{v}
	}
}

// updateShared reads the JSON record at key into a T, lets fn change it
// and, if fn says so, writes it back (deletes it when empty says it is
// empty), all under key's lock on every server.
func updateShared[T any](ctx context.Context, v *Vault, key string, fn func(*T) bool, empty func(*T) bool) error {
	unlock, err := v.keyLocker().LockKeys(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	var rec T
	e, err := v.barrier.Get(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return fmt.Errorf("stored record %q: %w", key, err)
		}
	}
	if !fn(&rec) {
		return nil
	}
	if empty(&rec) {
		return v.barrier.Delete(ctx, key)
	}
	b, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	return v.barrier.Put(ctx, &storage.Entry{Key: key, Value: b})
}

// sharedLockouts is userpass.FailureStore in the store.
type sharedLockouts struct{ v *Vault }

func (s sharedLockouts) Update(ctx context.Context, name string, fn func([]time.Time) ([]time.Time, bool)) error {
	return updateShared(ctx, s.v, prefixLockouts+name, func(f *[]time.Time) bool {
		next, changed := fn(*f)
		*f = next
		return changed
	}, func(f *[]time.Time) bool { return len(*f) == 0 })
}

// sharedTOTP is totp.StateStore in the store.
type sharedTOTP struct{ v *Vault }

func (s sharedTOTP) Update(ctx context.Context, identity string, fn func(*totp.State) bool) error {
	return updateShared(ctx, s.v, prefixTOTPUsed+identity, fn, func(st *totp.State) bool {
		return st.Used == 0 && len(st.Failures) == 0
	})
}

func (s sharedTOTP) Forget(ctx context.Context, identity string) error {
	return s.v.barrier.Delete(ctx, prefixTOTPUsed+identity)
}

var (
	_ userpass.FailureStore = sharedLockouts{}
	_ totp.StateStore       = sharedTOTP{}
)
