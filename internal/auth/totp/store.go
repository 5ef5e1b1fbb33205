package totp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/storage"
)

// ErrNotEnrolled is returned by Store.Get for an identity without a TOTP
// secret.
var ErrNotEnrolled = errors.New("totp: not enrolled")

// Enrolment is an identity's TOTP secret. Until Confirmed (by a first good
// code) it does not satisfy an MFA check, and a new enrolment may replace it.
type Enrolment struct {
	Identity    string    `json:"identity"`
	Secret      string    `json:"secret"` // base32; stored only through the barrier
	Confirmed   bool      `json:"confirmed"`
	CreatedAt   time.Time `json:"created_at"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// Store keeps enrolments under totp/IDENTITY in its storage, the vault's
// encrypted view. Identities are "METHOD/NAME", e.g. "userpass/alice".
type Store struct{ st storage.Backend }

// NewStore returns a Store over st.
func NewStore(st storage.Backend) *Store { return &Store{st: st} }

func enrolKey(identity string) string { return "totp/" + identity }

func checkIdentity(identity string) error {
	method, name, ok := strings.Cut(identity, "/")
	if !ok || method == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("totp: identity %q is not METHOD/NAME", identity)
	}
	return nil
}

// Get returns identity's enrolment, or ErrNotEnrolled.
func (s *Store) Get(ctx context.Context, identity string) (*Enrolment, error) {
	if err := checkIdentity(identity); err != nil {
		return nil, err
	}
	e, err := s.st.Get(ctx, enrolKey(identity))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	var en Enrolment
	if err := json.Unmarshal(e.Value, &en); err != nil {
		return nil, fmt.Errorf("stored TOTP enrolment of %q: %w", identity, err)
	}
	return &en, nil
}

// Put stores en under its identity, replacing any before it.
func (s *Store) Put(ctx context.Context, en *Enrolment) error {
	if err := checkIdentity(en.Identity); err != nil {
		return err
	}
	b, err := json.Marshal(en)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, &storage.Entry{Key: enrolKey(en.Identity), Value: b})
}

// Delete removes identity's enrolment; ErrNotEnrolled if it has none.
func (s *Store) Delete(ctx context.Context, identity string) error {
	if _, err := s.Get(ctx, identity); err != nil {
		return err
	}
	return s.st.Delete(ctx, enrolKey(identity))
}
