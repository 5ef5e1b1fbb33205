package userpass

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/storage"
)

// ErrUserNotFound is returned by Store.Get for a name without a user.
var ErrUserNotFound = errors.New("user not found")

// RequestError is a user definition or a login that is malformed (a 400).
// It names the field and the problem, never the value.
type RequestError struct {
	Field   string
	Problem string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("userpass: invalid %s: %s", e.Field, e.Problem)
}

// User is a stored user. Name is normalised; PasswordHash is a PHC string.
type User struct {
	Name         string        `json:"name"`
	PasswordHash string        `json:"password_hash"`
	Policies     []string      `json:"token_policies"`
	TTL          time.Duration `json:"token_ttl"`
	MaxTTL       time.Duration `json:"token_max_ttl"`
	// Env is the environment every token of this user is bound to; empty
	// means the login names one (see the package doc of server for why).
	Env       string    `json:"environment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Store keeps users under users/NAME in its storage, the vault's encrypted
// view. Its methods are safe for concurrent use, but a read-modify-write
// of one user (Get, then Put) is the caller's to serialise.
type Store struct{ st storage.Backend }

// NewStore returns a Store over st.
func NewStore(st storage.Backend) *Store { return &Store{st: st} }

func userKey(name string) string { return "users/" + name }

// Get returns the user called name (normalised), or ErrUserNotFound.
func (s *Store) Get(ctx context.Context, name string) (*User, error) {
	e, err := s.st.Get(ctx, userKey(name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, err
	}
	var u User
	if err := json.Unmarshal(e.Value, &u); err != nil {
		return nil, fmt.Errorf("stored user %q: %w", name, err)
	}
	return &u, nil
}

// Put stores u under its Name, which must be normalised.
func (s *Store) Put(ctx context.Context, u *User) error {
	if n, err := Normalize(u.Name); err != nil || n != u.Name {
		return &RequestError{Field: "name", Problem: "not normalised"}
	}
	for _, p := range u.Policies {
		if err := policy.ValidName(p); err != nil { // refuses root too
			return &RequestError{Field: "token_policies", Problem: err.Error()}
		}
	}
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, &storage.Entry{Key: userKey(u.Name), Value: b})
}

// Delete removes the user called name; ErrUserNotFound if there is none.
func (s *Store) Delete(ctx context.Context, name string) error {
	if _, err := s.Get(ctx, name); err != nil {
		return err
	}
	return s.st.Delete(ctx, userKey(name))
}

// List returns the users' names, sorted.
func (s *Store) List(ctx context.Context) ([]string, error) {
	names, err := s.st.List(ctx, "users/")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}
