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
	"context"
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

	"github.com/wardhq/ward/internal/auth/failwindow"
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
	// States, when set, keeps each identity's used step and failures
	// instead of the Verifier's memory: a store that several servers
	// share makes a code used, or an identity locked, on one of them hold
	// on all.
	States StateStore
}

// State is what a Verifier remembers of one identity.
type State struct {
	Used     uint64      `json:"used,omitempty"`     // the last step used
	Failures []time.Time `json:"failures,omitempty"` // recent failures, oldest first
}

// StateStore keeps States by identity.
type StateStore interface {
	// Update calls fn with identity's State (the zero State if none) and,
	// when fn returns true, stores what fn left in it (a zero State may be
	// stored as none), with no other Update of identity in between, in any
	// process sharing the store.
	Update(ctx context.Context, identity string, fn func(*State) bool) error
	// Forget drops identity's State.
	Forget(ctx context.Context, identity string) error
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
	return v.VerifyContext(context.Background(), identity, secret, code)
}

// VerifyContext is Verify with a context for Config.States; its errors
// also include the store's.
func (v *Verifier) VerifyContext(ctx context.Context, identity, secret, code string) error {
	if v.cfg.States == nil {
		v.mu.Lock()
		defer v.mu.Unlock()
		st := State{Used: v.used[identity], Failures: v.liveFailuresLocked(identity, v.cfg.Now())}
		err := v.check(&st, secret, code)
		if st.Used != 0 {
			v.used[identity] = st.Used
		}
		if len(st.Failures) > 0 {
			v.failures[identity] = st.Failures
		}
		return err
	}
	var result error
	err := v.cfg.States.Update(ctx, identity, func(st *State) bool {
		n := len(st.Failures)
		result = v.check(st, secret, code)
		var rl *RateLimitError
		return !errors.As(result, &rl) || len(st.Failures) != n
	})
	if err != nil {
		return err
	}
	return result
}

// check is Verify on one identity's state, which it updates.
func (v *Verifier) check(st *State, secret, code string) error {
	now := v.cfg.Now()
	st.Failures = failwindow.Live(st.Failures, now, v.cfg.Window)
	if len(st.Failures) >= v.cfg.MaxFailures {
		return &RateLimitError{Until: st.Failures[0].Add(v.cfg.Window)}
	}
	matched, err := match(secret, code, step(now), st.Used)
	if err != nil {
		st.Failures = append(st.Failures, now)
		return err
	}
	st.Used = matched
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
	f := failwindow.Live(v.failures[identity], now, v.cfg.Window)
	if f == nil {
		delete(v.failures, identity)
	}
	return f
}

// Forget drops what the Verifier remembers of identity, when its
// enrolment is reset.
func (v *Verifier) Forget(identity string) { v.ForgetContext(context.Background(), identity) }

// ForgetContext is Forget with a context for Config.States; it returns
// the store's error.
func (v *Verifier) ForgetContext(ctx context.Context, identity string) error {
	if v.cfg.States != nil {
		return v.cfg.States.Forget(ctx, identity)
	}
	v.mu.Lock()
	delete(v.used, identity)
	delete(v.failures, identity)
	v.mu.Unlock()
	return nil
}
