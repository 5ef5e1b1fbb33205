package detect

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"time"
)

// Event is what the detectors read of one audit response line: who asked,
// for what, from where, and whether it was allowed. Token and Accessor are
// the HMACs the log holds, never raw tokens.
type Event struct {
	Time        time.Time
	Identity    string // display name of the token
	Token       string // HMAC of the token
	Accessor    string // HMAC of the accessor
	Environment string
	Path        string // API path, e.g. "prod/data/payments/db"
	Operation   string // read, list, create, ...
	RemoteAddr  string // host:port or host
	Status      int
	Error       string // public text of a refusal
	Meta        map[string]string
}

// Denied reports whether the request was refused for want of permission.
func (e *Event) Denied() bool { return e.Status == 401 || e.Status == 403 }

// Allowed reports whether the request succeeded.
func (e *Event) Allowed() bool { return e.Status >= 200 && e.Status < 300 }

// Read reports whether the event read a secret's value: a read of a KV
// data path (ENV/data/PATH), alone or in a batch fetch.
func (e *Event) Read() bool {
	return e.Operation == "read" && strings.Contains(e.Path, "/data/")
}

// List reports whether the event listed keys.
func (e *Event) List() bool { return e.Operation == "list" }

// Host is the remote address without its port.
func (e *Event) Host() string {
	if h, _, err := net.SplitHostPort(e.RemoteAddr); err == nil {
		return h
	}
	return e.RemoteAddr
}

// Errors of ParseLine. Neither quotes the line.
var (
	ErrNotEntry = errors.New("not an audit entry")
	// ErrSkip: a valid entry the detectors do not read (a request entry,
	// whose response follows, or an alert).
	ErrSkip = errors.New("not a response entry")
)

// line is the part of an audit line ParseLine decodes; the rest (data,
// policies, the chain) is skipped.
type line struct {
	Time        string            `json:"time"`
	Type        string            `json:"type"`
	Identity    string            `json:"identity"`
	Token       string            `json:"token"`
	Accessor    string            `json:"accessor"`
	Environment string            `json:"environment"`
	Path        string            `json:"path"`
	Operation   string            `json:"operation"`
	RemoteAddr  string            `json:"remote_addr"`
	Status      int               `json:"status"`
	Error       string            `json:"error"`
	Meta        map[string]string `json:"meta"`
}

// ParseLine decodes one audit line into e. It returns ErrSkip for a line
// that is an entry but not a response, and an error wrapping ErrNotEntry for
// anything else that is not a response entry with a time.
func ParseLine(b []byte, e *Event) error {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return ErrNotEntry
	}
	switch {
	case l.Type == "":
		return ErrNotEntry
	case l.Type != "response":
		return ErrSkip
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return ErrNotEntry
	}
	*e = Event{
		Time: t, Identity: l.Identity, Token: l.Token, Accessor: l.Accessor,
		Environment: l.Environment, Path: l.Path, Operation: l.Operation,
		RemoteAddr: l.RemoteAddr, Status: l.Status, Error: l.Error, Meta: l.Meta,
	}
	return nil
}
