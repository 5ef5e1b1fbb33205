package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
)

// identityOpts are the login lockout and TOTP guess limits of ward server
// and ward dev. Zero values take the packages' defaults.
type identityOpts struct {
	loginFailures int
	loginWindow   time.Duration
	mfaFailures   int
}

func (o *identityOpts) flags(fs *pflag.FlagSet) {
	fs.IntVar(&o.loginFailures, "login-max-failures", 5, "failed password logins that lock a user name")
	fs.DurationVar(&o.loginWindow, "login-lockout", 15*time.Minute, "how long a failed login counts, and so how long a lock lasts")
	fs.IntVar(&o.mfaFailures, "mfa-max-failures", 5, "wrong TOTP codes an identity may send per minute")
}

func (o *identityOpts) check() error {
	switch {
	case o.loginFailures < 1:
		return usagef("--login-max-failures must be at least 1")
	case o.loginWindow < time.Second:
		return usagef("--login-lockout must be at least 1s, like 15m")
	case o.mfaFailures < 1:
		return usagef("--mfa-max-failures must be at least 1")
	}
	return nil
}

func (o *identityOpts) configs() (userpass.Config, totp.Config) {
	return userpass.Config{MaxFailures: o.loginFailures, Window: o.loginWindow}, totp.Config{MaxFailures: o.mfaFailures}
}
