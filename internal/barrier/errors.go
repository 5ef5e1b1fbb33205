package barrier

import (
	"errors"
	"fmt"
)

var (
	// ErrSealed is returned by every data call while the barrier is sealed.
	ErrSealed = errors.New("barrier: sealed")
	// ErrNotInitialized is returned by Unseal and data calls before Init.
	ErrNotInitialized = errors.New("barrier: not initialized")
	// ErrAlreadyInitialized is returned by Init on a store that has a
	// barrier already.
	ErrAlreadyInitialized = errors.New("barrier: already initialized")
	// ErrBadShares is returned by Unseal when a share is malformed, or when
	// the combined shares do not open the keyring (then the shares given so
	// far are forgotten).
	ErrBadShares = errors.New("barrier: unseal shares do not open the keyring")
	// ErrDecrypt is wrapped by every *DecryptError.
	ErrDecrypt = errors.New("barrier: cannot decrypt")
	// ErrNoEnvKey is returned for a key that Config.KeyringOf places in
	// an environment that has no key: it was never created, or it was
	// destroyed.
	ErrNoEnvKey = errors.New("barrier: no key for this environment")
	// ErrEnvKeyExists is returned by CreateEnvKey for an environment that
	// has a key already.
	ErrEnvKeyExists = errors.New("barrier: environment key exists")
	// ErrReserved is returned for a caller's key under core/, which the
	// barrier keeps for itself.
	ErrReserved = errors.New("barrier: keys under core/ are reserved")
)

// DecryptError says which stored value failed to open and why. The reason
// never quotes the value.
type DecryptError struct {
	Key    string // the storage key
	Reason string
}

func (e *DecryptError) Error() string {
	return fmt.Sprintf("barrier: cannot decrypt %q: %s", e.Key, e.Reason)
}

func (e *DecryptError) Unwrap() error { return ErrDecrypt }
