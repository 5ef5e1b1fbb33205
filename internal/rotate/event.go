package rotate

import "time"

// EventKind names what happened to a secret's rotation.
type EventKind string

// The events an engine reports. The vault writes each as an audit entry.
const (
	EventRotated     EventKind = "rotated"      // a new version is current
	EventRetired     EventKind = "retired"      // an old version is disabled and destroyed
	EventRolledBack  EventKind = "rolled-back"  // a rotation was undone; the old value stays current
	EventFailed      EventKind = "failed"       // a scheduled rotation failed; Reason says why, Attempts how often
	EventNeedsPerson EventKind = "needs-person" // no generator: Owner must rotate it
)

// Event is one thing that happened, for the audit log. It holds versions
// and reasons, never values.
type Event struct {
	Kind     EventKind `json:"kind"`
	Env      string    `json:"env"`
	Path     string    `json:"path"`
	From     int       `json:"from,omitempty"`
	To       int       `json:"to,omitempty"`
	Owner    string    `json:"owner,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	DrillID  string    `json:"drill_id,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	At       time.Time `json:"at"`
}

// Events receives events. It must not block for long and must be safe for
// concurrent use.
type Events func(Event)
