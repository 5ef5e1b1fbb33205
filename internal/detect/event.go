package detect

import (
	"errors"
	"net"
	"strings"
	"time"
	"unicode/utf8"
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
	// From the entry's meta: the CI login's role and pipeline, and the
	// user of a password login.
	Role       string // meta role
	Repository string // meta ci_repository
	Ref        string // meta ci_ref
	Workflow   string // meta ci_workflow
	User       string // meta ward_identity
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
	// ErrSkip: an entry the detectors do not read (a request entry, whose
	// response follows, or an alert).
	ErrSkip = errors.New("not a response entry")
)

// ParseLine decodes one audit line into e. It returns ErrSkip for an entry
// that is not a response (it stops reading at its type), and ErrNotEntry
// for a line that is not a JSON object with a type, or a response without
// a valid time or with a member of the wrong type.
//
// It reads the members the detectors use and skips the rest (data, the
// chain) without decoding them: decoding whole lines with encoding/json
// took most of a replay's time.
func ParseLine(b []byte, e *Event) error {
	*e = Event{}
	s := scanner{b: b}
	s.ws()
	if !s.eat('{') {
		return ErrNotEntry
	}
	var typ, ts string
	first := true
	for {
		s.ws()
		if s.eat('}') {
			break
		}
		if !first && !(s.eat(',') && s.wsThen()) {
			return ErrNotEntry
		}
		first = false
		key, ok := s.key()
		if !ok {
			return ErrNotEntry
		}
		s.ws()
		if !s.eat(':') {
			return ErrNotEntry
		}
		s.ws()
		var dst *string
		switch string(key) {
		case "type":
			if typ, ok = s.str(); !ok {
				return ErrNotEntry
			}
			if typ != "response" {
				return ErrSkip
			}
			continue
		case "time":
			dst = &ts
		case "identity":
			dst = &e.Identity
		case "token":
			dst = &e.Token
		case "accessor":
			dst = &e.Accessor
		case "environment":
			dst = &e.Environment
		case "path":
			dst = &e.Path
		case "operation":
			dst = &e.Operation
		case "remote_addr":
			dst = &e.RemoteAddr
		case "error":
			dst = &e.Error
		case "status":
			if e.Status, ok = s.int(); !ok {
				return ErrNotEntry
			}
			continue
		case "meta":
			if !s.meta(e) {
				return ErrNotEntry
			}
			continue
		default:
			if !s.skip() {
				return ErrNotEntry
			}
			continue
		}
		if *dst, ok = s.str(); !ok {
			return ErrNotEntry
		}
	}
	s.ws()
	if s.i != len(s.b) || typ == "" {
		return ErrNotEntry
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ErrNotEntry
	}
	e.Time = t
	return nil
}

// meta reads the meta object, keeping the members Event has.
func (s *scanner) meta(e *Event) bool {
	if !s.eat('{') {
		return false
	}
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		s.ws()
		key, ok := s.key()
		if !ok {
			return false
		}
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		v, ok := s.str()
		if !ok {
			return false
		}
		switch string(key) {
		case "role":
			e.Role = v
		case "ci_repository":
			e.Repository = v
		case "ci_ref":
			e.Ref = v
		case "ci_workflow":
			e.Workflow = v
		case "ward_identity":
			e.User = v
		}
		s.ws()
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// asLine makes an event of the live feed (OfferEntries) what ParseLine reads of
// the line the log wrote for it: each byte of a string that is not valid
// UTF-8 as U+FFFD, as the log writes it. It reports false for an event
// whose line ParseLine refuses: a time outside the years 0 to 9999, a
// status that is negative or longer than 9 digits.
func (e *Event) asLine() bool {
	if y := e.Time.Year(); y < 0 || y > 9999 || e.Status < 0 || e.Status > 999_999_999 {
		return false
	}
	for _, p := range [...]*string{&e.Identity, &e.Token, &e.Accessor, &e.Environment, &e.Path,
		&e.Operation, &e.RemoteAddr, &e.Error, &e.Role, &e.Repository, &e.Ref, &e.Workflow, &e.User} {
		*p = lineString(*p)
	}
	return true
}

// lineString is s as a line of the log holds it: each byte that is not
// part of valid UTF-8 is U+FFFD, as audit writes strings.
func lineString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
