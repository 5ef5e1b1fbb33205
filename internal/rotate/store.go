package rotate

import (
	"context"
	"errors"
	"time"
)

// Errors of the rotation engines. Tell them apart with errors.Is.
var (
	// ErrNotFound: no such secret, version or record.
	ErrNotFound = errors.New("not found")
	// ErrConflict: another writer changed the secret (check-and-set
	// failed); nothing of the rotation is left.
	ErrConflict = errors.New("the secret changed during the rotation")
	// ErrInProgress: a rotation of the secret is already under way.
	ErrInProgress = errors.New("a rotation of the secret is in progress")
	// ErrNeedsPerson: the secret's type has no generator; its owner must
	// rotate it.
	ErrNeedsPerson = errors.New("the secret's type has no generator: its owner must rotate it")
	// ErrTarget: the target system refused or could not be reached; the
	// old value stays current.
	ErrTarget = errors.New("the target system failed")
)

// DefaultOverlap is how long the previous version stays valid after a
// rotation when the secret's metadata sets no "overlap".
const DefaultOverlap = 24 * time.Hour

// Secret is a secret's current version as a Store reads it.
type Secret struct {
	Env, Path string
	Version   int            // the current version, > 0
	Data      map[string]any // the current version's value
	Created   time.Time      // when the current version was written
	Meta      Meta
}

// Meta is the part of a secret's metadata that rotation reads.
type Meta struct {
	Type        string        // "" when untyped
	Owner       string        // who to remind when it cannot be rotated
	Recipients  []string      // identities expected to read it
	Overlap     time.Duration // 0: DefaultOverlap
	RotateEvery time.Duration // 0: not on a schedule
	ExpiresAt   time.Time     // zero: never
}

// State is where a rotation stands.
type State string

// The states of a rotation, in order. A Record in StatePending or
// StateApplied is unfinished: Recover finishes or rolls it back. One in
// StateCurrent waits for its overlap to end (Finish).
const (
	StatePending State = "pending" // the new version is written, not current
	StateApplied State = "applied" // the target accepts the new value
	StateCurrent State = "current" // the new version is current; the old one is still valid
)

// Record is the durable state of one rotation: what Recover reads after a
// crash. It holds version numbers, never values.
type Record struct {
	ID        string    `json:"id"`
	Env       string    `json:"env"`
	Path      string    `json:"path"`
	From      int       `json:"from"` // the version current when it began
	To        int       `json:"to"`   // the new version (set by WritePending)
	State     State     `json:"state"`
	Started   time.Time `json:"started"`
	CurrentAt time.Time `json:"current_at,omitzero"` // when To became current
	// Overlap is how long From stays valid after CurrentAt; 0 retires it
	// at once (a drill: the old value is compromised).
	Overlap time.Duration `json:"overlap"`
	Reason  string        `json:"reason,omitempty"` // why it was started (schedule, manual, drill)
	// Recipients are the secret's recipients when it began: once each has
	// read To, From retires before its overlap ends.
	Recipients []string `json:"recipients,omitempty"`
	DrillID    string   `json:"drill_id,omitempty"` // the drill that started it
}

// Store is the vault's side of a rotation: versions of secrets and the
// rotation records, each change atomic. Implementations must be safe for
// concurrent use.
type Store interface {
	// Read returns the current version of env's secret at path, or an
	// error wrapping ErrNotFound.
	Read(ctx context.Context, env, path string) (*Secret, error)
	// Version returns the value of one version, or ErrNotFound when it
	// never existed or was destroyed.
	Version(ctx context.Context, env, path string, version int) (map[string]any, error)
	// WritePending stores data as a new version that is not current and
	// rec (with rec.To set to that version) in one transaction, if the
	// current version is still rec.From; otherwise it changes nothing and
	// returns ErrConflict. It returns the new version.
	WritePending(ctx context.Context, rec *Record, data map[string]any) (int, error)
	// MakeCurrent makes version to current if from is still current
	// (check-and-set; ErrConflict otherwise). Making current a version
	// that already is returns nil, unless the store can tell it is
	// another writer's and not the pending value (ErrConflict).
	MakeCurrent(ctx context.Context, env, path string, from, to int) error
	// Destroy erases a version's value for good. Destroying one already
	// gone returns nil.
	Destroy(ctx context.Context, env, path string, version int) error
	// PutRecord stores rec, replacing the record of the same Env and Path.
	PutRecord(ctx context.Context, rec *Record) error
	// DeleteRecord removes the record of env and path, and a pending value
	// kept with it; none is nil.
	DeleteRecord(ctx context.Context, env, path string) error
	// Record returns the record of env and path, or ErrNotFound.
	Record(ctx context.Context, env, path string) (*Record, error)
	// Records lists every stored record, in no order.
	Records(ctx context.Context) ([]*Record, error)
	// List returns the metadata of every secret of env under prefix
	// ("" for all environments and paths), as Secrets without Data.
	List(ctx context.Context, env, prefix string) ([]*Secret, error)
}

// Target is the system where a secret's value is used (a database, an
// identity provider). Every method is idempotent: Recover calls them again
// after a crash. Errors must not carry a value.
type Target interface {
	// Apply makes next valid at the target alongside current, or, where the
	// target holds one value only, in its place.
	Apply(ctx context.Context, s *Secret, current, next map[string]any) error
	// Verify returns nil if value works at the target now.
	Verify(ctx context.Context, s *Secret, value map[string]any) error
	// Disable makes value no longer valid at the target.
	Disable(ctx context.Context, s *Secret, value map[string]any) error
}

// Consumers knows who reads a secret: the vault's usage records.
type Consumers interface {
	// LastRead returns, per identity that read env's secret at path, the
	// version it last read.
	LastRead(ctx context.Context, env, path string) (map[string]int, error)
}
