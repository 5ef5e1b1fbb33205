package vault

import (
	"context"
	"errors"

	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/storage"
)

// Users returns the store of userpass users (sys/userpass/users/NAME),
// or ErrSealed. Its records are sealed by the barrier like every value.
func (v *Vault) Users() (*userpass.Store, error) {
	if _, err := v.state(); err != nil {
		return nil, err
	}
	return userpass.NewStore(storage.NewPrefixed(v.barrier, "sys/userpass/")), nil
}

// TOTP returns the store of TOTP enrolments (sys/mfa/totp/IDENTITY), or
// ErrSealed. The TOTP secrets in it are sealed by the barrier.
func (v *Vault) TOTP() (*totp.Store, error) {
	if _, err := v.state(); err != nil {
		return nil, err
	}
	return totp.NewStore(storage.NewPrefixed(v.barrier, "sys/mfa/")), nil
}

// DeleteUser removes a userpass user and its TOTP enrolment, if any.
// Tokens the user already holds stay valid until they expire or are
// revoked.
func (v *Vault) DeleteUser(ctx context.Context, name string) error {
	users, err := v.Users()
	if err != nil {
		return err
	}
	enrolments, err := v.TOTP()
	if err != nil {
		return err
	}
	if err := users.Delete(ctx, name); err != nil {
		return err
	}
	if err := enrolments.Delete(ctx, "userpass/"+name); err != nil && !errors.Is(err, totp.ErrNotEnrolled) {
		return err
	}
	return nil
}
