package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/ratelimit"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/vault"
)

// apiError is an error with the HTTP status it answers with. Its messages
// are public: they name paths, fields and rules, never values or tokens.
type apiError struct {
	status int
	msgs   []string
	// mfaPrompt: a valid code in X-Ward-MFA could turn this refusal into a
	// success; the answer says so in X-Ward-MFA-Required.
	mfaPrompt bool
	// retryAfter, when set, is sent as Retry-After (a 429, or a 503 while
	// the database is away).
	retryAfter time.Duration
	// extra holds public fields sent beside "errors" (a retired secret's
	// tombstone).
	extra map[string]any
}

func (e *apiError) Error() string {
	if len(e.msgs) == 0 {
		return http.StatusText(e.status)
	}
	return e.msgs[0]
}

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msgs: []string{fmt.Sprintf(format, args...)}}
}

var (
	errPermissionDenied = &apiError{status: http.StatusForbidden, msgs: []string{"permission denied"}}
	errNotFound         = &apiError{status: http.StatusNotFound}
	errSealed           = &apiError{status: http.StatusServiceUnavailable, msgs: []string{"ward is sealed"}}
	// errStorageAway answers a request that failed because the shared
	// database could not be reached: it says nothing of the database, and
	// asks the client to come back in a second.
	errStorageAway = &apiError{status: http.StatusServiceUnavailable, retryAfter: time.Second,
		msgs: []string{"ward's database cannot be reached; try again shortly (a write answered so may or may not have been stored)"}}
)

// refusalStatus is the status of each kind of vault.Refusal.
var refusalStatus = map[vault.Kind]int{
	vault.KindInvalid:  http.StatusBadRequest,
	vault.KindDenied:   http.StatusForbidden,
	vault.KindNotFound: http.StatusNotFound,
	vault.KindConflict: http.StatusConflict,
	vault.KindLimited:  http.StatusTooManyRequests,
}

// toAPIError maps a domain error to its status. Errors it does not know
// become a 500 whose text is not shown to the client.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var rf *vault.Refusal
	if errors.As(err, &rf) {
		return &apiError{status: refusalStatus[rf.Kind], msgs: []string{rf.Msg}, mfaPrompt: rf.Prompt}
	}
	if ae := typesAPIError(err); ae != nil {
		return ae
	}
	if ae := leaseAPIError(err); ae != nil {
		return ae
	}
	if ae := rotationAPIError(err); ae != nil {
		return ae
	}
	if ae := diskFullAPIError(err); ae != nil {
		return ae
	}
	var cas *secrets.CASError
	var envName *vault.EnvNameError
	var pathErr *policy.PathError
	var parseErr *policy.ParseError
	var denied *auth.DeniedError
	var reqErr *auth.RequestError
	var upErr *userpass.RequestError
	var limited *ratelimit.LimitedError
	switch {
	case errors.Is(err, storage.ErrUnavailable):
		return errStorageAway
	case errors.Is(err, barrier.ErrSealed):
		return errSealed
	case errors.Is(err, barrier.ErrNotInitialized):
		return &apiError{status: http.StatusServiceUnavailable, msgs: []string{"ward is not initialized; hint: ward operator init"}}
	case errors.Is(err, auth.ErrInvalidToken):
		return errPermissionDenied
	case errors.As(err, &reqErr), errors.Is(err, auth.ErrNotRenewable):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.As(err, &denied):
		return &apiError{status: http.StatusForbidden, msgs: []string{err.Error()}}
	case errors.Is(err, userpass.ErrUserNotFound), errors.Is(err, totp.ErrNotEnrolled):
		return &apiError{status: http.StatusNotFound, msgs: []string{err.Error()}}
	case errors.As(err, &upErr):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.As(err, &cas):
		return &apiError{status: http.StatusBadRequest, msgs: []string{"check-and-set parameter did not match the current version"}}
	case errors.Is(err, secrets.ErrCASRequired):
		return &apiError{status: http.StatusBadRequest, msgs: []string{"check-and-set parameter required for this call"}}
	case errors.Is(err, secrets.ErrTooLarge):
		return &apiError{status: http.StatusRequestEntityTooLarge, msgs: []string{err.Error()}}
	case errors.Is(err, secrets.ErrInvalidValue), errors.Is(err, secrets.ErrBadVersion),
		errors.Is(err, secrets.ErrInvalidPath), errors.Is(err, secrets.ErrInvalidMetadata):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.Is(err, secrets.ErrNotFound), errors.Is(err, vault.ErrPolicyNotFound):
		return errNotFound
	case errors.Is(err, vault.ErrEnvNotFound):
		return &apiError{status: http.StatusNotFound, msgs: []string{err.Error()}}
	case errors.Is(err, vault.ErrEnvExists):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.As(err, &envName), errors.As(err, &pathErr), errors.As(err, &parseErr),
		errors.Is(err, policy.ErrReservedName), errors.Is(err, policy.ErrBadName):
		return &apiError{status: http.StatusBadRequest, msgs: []string{err.Error()}}
	case errors.As(err, &limited):
		return &apiError{status: http.StatusTooManyRequests, msgs: []string{err.Error()}, retryAfter: limited.RetryAfter}
	case errors.Is(err, barrier.ErrDecrypt), errors.Is(err, barrier.ErrNoEnvKey):
		return &apiError{status: http.StatusInternalServerError, msgs: []string{"stored data failed authentication; it has been changed or moved outside ward"}}
	}
	return &apiError{status: http.StatusInternalServerError}
}
