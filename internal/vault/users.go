package vault

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/storage"
)

// DefaultUserTTL is the life of a password login's token when the user
// names none: a working day, renewable, not the store's 32 days. A person
// logs in again or renews; a lost laptop's token dies overnight.
const DefaultUserTTL = 8 * time.Hour

// users is the store of userpass users (sys/userpass/users/NAME), sealed
// by the barrier like every value; ErrSealed while sealed.
func (v *Vault) users() (*userpass.Store, error) {
	if _, err := v.state(); err != nil {
		return nil, err
	}
	return userpass.NewStore(storage.NewPrefixed(v.barrier, "sys/userpass/")), nil
}

// enrolments is the store of TOTP enrolments (sys/mfa/totp/IDENTITY); the
// TOTP secrets in it are sealed by the barrier.
func (v *Vault) enrolments() (*totp.Store, error) {
	if _, err := v.state(); err != nil {
		return nil, err
	}
	return totp.NewStore(storage.NewPrefixed(v.barrier, "sys/mfa/")), nil
}

// userIdentity is the identity of user name, whose TOTP enrolment answers
// step-up MFA for the tokens of its logins.
func userIdentity(name string) string { return "userpass/" + name }

// UserUpdate changes a userpass user: nil fields are left as they are.
type UserUpdate struct {
	Password *string
	Policies []string // nil: unchanged
	TTL      *time.Duration
	MaxTTL   *time.Duration
	Env      *string // "": the login names the environment
}

// UserExists reports whether user name (normalised) exists: a write to it
// is then an update, not a create.
func (v *Vault) UserExists(ctx context.Context, name string) (bool, error) {
	users, err := v.users()
	if err != nil {
		return false, err
	}
	_, err = users.Get(ctx, name)
	switch {
	case errors.Is(err, userpass.ErrUserNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// PutUser creates user name (normalised) or changes it. A new user needs
// a password and every user at least one policy, never root; the
// environment, if named, must exist. A refusal is a *Refusal or a
// userpass error; nothing is stored then.
func (v *Vault) PutUser(ctx context.Context, name string, up UserUpdate) error {
	users, err := v.users()
	if err != nil {
		return err
	}
	v.usersMu.Lock()
	defer v.usersMu.Unlock()
	u, err := users.Get(ctx, name)
	now := v.cfg.Now()
	switch {
	case errors.Is(err, userpass.ErrUserNotFound):
		if up.Password == nil {
			return refuse(KindInvalid, `missing "password": a new user needs one (ward user create reads it from a prompt or stdin)`)
		}
		u = &userpass.User{Name: name, CreatedAt: now}
	case err != nil:
		return err
	}
	if err := v.applyUserUpdate(u, up); err != nil {
		return err
	}
	if len(u.Policies) == 0 {
		return refuse(KindInvalid, `missing "token_policies": a user's tokens need at least one policy`)
	}
	u.UpdatedAt = now
	return users.Put(ctx, u)
}

func (v *Vault) applyUserUpdate(u *userpass.User, up UserUpdate) error {
	if up.Password != nil {
		h, err := v.passwords.HashPassword(*up.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = h
	}
	if up.Policies != nil {
		ps := slices.Clone(up.Policies)
		for _, p := range ps {
			if p == auth.RootPolicy {
				return refuse(KindInvalid, "a user cannot be given the root policy; root tokens come from 'ward operator generate-root'")
			}
			if err := policy.ValidName(p); err != nil {
				return err
			}
		}
		slices.Sort(ps)
		u.Policies = slices.Compact(ps)
	}
	if up.TTL != nil {
		u.TTL = *up.TTL
	}
	if up.MaxTTL != nil {
		u.MaxTTL = *up.MaxTTL
	}
	if u.TTL < 0 || u.MaxTTL < 0 || u.MaxTTL > 0 && u.TTL > u.MaxTTL {
		return refuse(KindInvalid, "token_ttl and token_max_ttl must be positive, and token_ttl at most token_max_ttl")
	}
	if up.Env != nil {
		if *up.Env != "" {
			if _, err := v.Env(*up.Env); err != nil {
				return err
			}
		}
		u.Env = *up.Env
	}
	return nil
}

// User returns user name (normalised) with its password hash left out,
// and the state of its TOTP enrolment.
func (v *Vault) User(ctx context.Context, name string) (*userpass.User, Enrolment, error) {
	users, err := v.users()
	if err != nil {
		return nil, Enrolment{}, err
	}
	u, err := users.Get(ctx, name)
	if err != nil {
		return nil, Enrolment{}, err
	}
	u.PasswordHash = ""
	en, err := v.Enrolment(ctx, userIdentity(name))
	return u, en, err
}

// UserNames lists the users, sorted.
func (v *Vault) UserNames(ctx context.Context) ([]string, error) {
	users, err := v.users()
	if err != nil {
		return nil, err
	}
	return users.List(ctx)
}

// SetPassword changes user name's password.
func (v *Vault) SetPassword(ctx context.Context, name, password string) error {
	users, err := v.users()
	if err != nil {
		return err
	}
	v.usersMu.Lock()
	defer v.usersMu.Unlock()
	u, err := users.Get(ctx, name)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = v.passwords.HashPassword(password); err != nil {
		return err
	}
	u.UpdatedAt = v.cfg.Now()
	return users.Put(ctx, u)
}

// DeleteUser removes a userpass user and its TOTP enrolment, if any, and
// forgets its used codes. Tokens the user already holds stay valid until
// they expire or are revoked.
func (v *Vault) DeleteUser(ctx context.Context, name string) error {
	users, err := v.users()
	if err != nil {
		return err
	}
	enrolments, err := v.enrolments()
	if err != nil {
		return err
	}
	v.usersMu.Lock()
	defer v.usersMu.Unlock()
	if err := users.Delete(ctx, name); err != nil {
		return err
	}
	if err := enrolments.Delete(ctx, userIdentity(name)); err != nil && !errors.Is(err, totp.ErrNotEnrolled) {
		return err
	}
	if err := v.codes.ForgetContext(ctx, userIdentity(name)); err != nil {
		return err
	}
	return nil
}

// UserLogin checks user name's password (under the lockout: failures lock
// a name for a while) and, if it is right, makes an orphan token bound to
// the user's environment, or to env when the user has none, with the
// user's policies and TTLs (DefaultUserTTL when it names none), the user's
// identity in auth.IdentityMetaKey and "username" as metadata. Refusals:
// userpass.ErrBadLogin (unknown user or wrong password, alike),
// *userpass.LockedError, a *userpass.RequestError or name error, or a
// *Refusal about the environment.
func (v *Vault) UserLogin(ctx context.Context, name, password, env string) (string, *auth.Token, error) {
	u, err := v.state()
	if err != nil {
		return "", nil, err
	}
	users, err := v.users()
	if err != nil {
		return "", nil, err
	}
	user, err := v.passwords.Login(ctx, users, name, password)
	if err != nil {
		return "", nil, err
	}
	bound := user.Env
	switch {
	case bound != "" && env != "" && env != bound:
		return "", nil, refuse(KindDenied, "permission denied: user %s logs in to environment %q only", user.Name, bound)
	case bound == "" && env == "":
		return "", nil, refuse(KindInvalid, `missing "env": every token is bound to exactly one environment; log in with --env staging`)
	case bound == "":
		bound = env
	}
	e, err := v.Env(bound)
	if err != nil {
		return "", nil, err
	}
	ttl := user.TTL
	if ttl == 0 {
		ttl = DefaultUserTTL
	}
	return u.tokens.CreateLogin(ctx, auth.CreateRequest{
		Policies:       user.Policies,
		Env:            e.Name,
		EnvID:          e.ID,
		TTL:            ttl,
		ExplicitMaxTTL: user.MaxTTL,
		DisplayName:    "userpass-" + user.Name,
		Meta:           map[string]string{"username": user.Name, auth.IdentityMetaKey: userIdentity(user.Name)},
	})
}
