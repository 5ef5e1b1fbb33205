// Package totp is ward's second factor: time-based one-time passwords
// (RFC 6238) as every authenticator app makes them: HMAC-SHA1, six digits,
// a 30-second step.
//
// Enrolment makes a secret with [NewKey] (its otpauth:// URI goes to the
// user's app); the vault stores it encrypted. A [Verifier] checks the codes
// a user then sends:
//
//	v := totp.NewVerifier(totp.Config{})
//	err := v.Verify("userpass/alice", secret, code)
//
// Verify accepts exactly six ASCII digits (no spaces, no other digits,
// nothing before or after), for the current step or one step either side.
// A code is single-use: once an identity has used the code of a step, no
// code of that step or an earlier one is accepted for it again. Failed
// guesses are limited per identity ([Config.MaxFailures] per
// [Config.Window]); past the limit every code is refused, right or wrong,
// until the window moves on. The used steps and the failures are kept in
// this process's memory: one ward process, or one per identity behind a
// sticky load balancer.
package totp

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// The parameters every ward TOTP secret uses: what authenticator apps
// support everywhere.
const (
	Digits     = 6
	Period     = 30 * time.Second
	SecretSize = 20 // bytes, as RFC 4226 recommends for HMAC-SHA1
)

// Sentinel errors of Verify. None of them quotes the code.
var (
	ErrMalformedCode = errors.New("totp: a code is exactly 6 ASCII digits")
	ErrInvalidCode   = errors.New("totp: the code is wrong or expired")
	ErrReplayed      = errors.New("totp: the code was already used; wait for the next one")
)

// RateLimitError refuses a code because the identity guessed wrong too
// often. The code was not checked.
type RateLimitError struct{ Until time.Time }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("totp: too many wrong codes; try again after %s", e.Until.UTC().Format(time.RFC3339))
}

// Key is a new secret and its otpauth:// URI.
type Key struct {
	Secret string // base32, no padding
	URI    string // otpauth://totp/ISSUER:ACCOUNT?secret=...
}

// NewKey makes a secret from rnd (nil: crypto/rand) for account, with
// issuer shown in the user's app.
func NewKey(rnd io.Reader, issuer, account string) (*Key, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	secret := make([]byte, SecretSize)
	if _, err := io.ReadFull(rnd, secret); err != nil {
		return nil, err
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Secret: secret,
		Period: uint(Period / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, err
	}
	return &Key{Secret: k.Secret(), URI: k.URL()}, nil
}

// Code returns the code of secret at t, as an authenticator app shows it.
func Code(secret string, t time.Time) (string, error) {
	return codeAt(secret, step(t), Digits, otp.AlgorithmSHA1)
}

func step(t time.Time) uint64 { return uint64(t.Unix()) / uint64(Period/time.Second) }

func codeAt(secret string, counter uint64, digits int, alg otp.Algorithm) (string, error) {
	return hotp.GenerateCodeCustom(secret, counter, hotp.ValidateOpts{Digits: otp.Digits(digits), Algorithm: alg})
}

// WellFormed reports whether code is exactly six ASCII digits.
func WellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// Config configures a Verifier. Zero values are the defaults.
type Config struct {
	MaxFailures int           // wrong codes an identity may send per Window; 0: 5
	Window      time.Duration // 0: one minute
	Now         func() time.Time
}

// Verifier checks codes, remembers which steps each identity has used and
// counts its failures. It is safe for concurrent use.
type Verifier struct {
	cfg Config

	mu       sync.Mutex
	used     map[string]uint64      // guarded by mu: the last step each identity used
	failures map[string][]time.Time // guarded by mu: recent failures, oldest first
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) *Verifier {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, used: map[string]uint64{}, failures: map[string][]time.Time{}}
}

// Verify checks code against secret for identity and, if it is good, marks
// its step used. Errors: *RateLimitError, ErrMalformedCode, ErrInvalidCode,
// ErrReplayed; each but the first counts as a failure.
func (v *Verifier) Verify(identity, secret, code string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.cfg.Now()
	fails := v.liveFailuresLocked(identity, now)
	if len(fails) >= v.cfg.MaxFailures {
		return &RateLimitError{Until: fails[0].Add(v.cfg.Window)}
	}
	matched, err := match(secret, code, step(now), v.used[identity])
	if err != nil {
		v.failures[identity] = append(fails, now)
		return err
	}
	v.used[identity] = matched
	return nil
}

// match returns the earliest step within one of now whose code is code
// and that is later than last. Every candidate is computed and compared
// in constant time. Two steps can share a code (one chance in a million):
// choosing the earliest unused one keeps a collision with the next step
// from spending it.
func match(secret, code string, now, last uint64) (uint64, error) {
	if !WellFormed(code) {
		return 0, ErrMalformedCode
	}
	var found uint64
	matched, fresh := 0, 0
	for s := now + 1; s >= now-1 && s > 0; s-- {
		want, err := codeAt(secret, s, Digits, otp.AlgorithmSHA1)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = 1
			if s > last {
				found, fresh = s, 1
			}
		}
	}
	switch {
	case matched == 0:
		return 0, ErrInvalidCode
	case fresh == 0:
		return 0, ErrReplayed
	}
	return found, nil
}

func (v *Verifier) liveFailuresLocked(identity string, now time.Time) []time.Time {
	f := v.failures[identity]
	i := 0
	for i < len(f) && !now.Before(f[i].Add(v.cfg.Window)) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(v.failures, identity)
		return nil
	}
	v.failures[identity] = f
	return f
}

// Forget drops what the Verifier remembers of identity, when its
// enrolment is reset.
func (v *Verifier) Forget(identity string) {
	v.mu.Lock()
	delete(v.used, identity)
	delete(v.failures, identity)
	v.mu.Unlock()
}
