package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// FetchStatus is what the vault answered for one secret of a batched fetch.
type FetchStatus string

// The statuses of a fetch, as the server's sys/ward/fetch answers them.
const (
	StatusOK       FetchStatus = "ok"
	StatusNotFound FetchStatus = "not_found"
	StatusDeleted  FetchStatus = "deleted"
	StatusRetired  FetchStatus = "retired"
	StatusDenied   FetchStatus = "denied"
	StatusError    FetchStatus = "error"
)

// ExpiresAtKey is the custom metadata key holding a secret's expiry, an
// RFC 3339 time.
const ExpiresAtKey = "expires_at"

// Fetched is one secret as the vault returned it.
type Fetched struct {
	Status         FetchStatus
	Error          string          // the server's explanation; never holds a value
	Data           json.RawMessage // the secret's JSON object when Status is StatusOK
	Version        int             // the version Data is, when the server says (0: unknown)
	CustomMetadata map[string]string
	MFARequired    bool // denied for want of a TOTP code (step-up MFA)
	// TypeProblems are the rules the value breaks of the type the manifest
	// names for it, as the server judged them; never a value.
	TypeProblems []TypeProblem
}

// TypeProblem is one rule of a type a secret's value breaks.
type TypeProblem struct {
	Field   string // "" for the secret as a whole
	Message string // built from the schema alone, never from the value
}

// TypeKey is the custom metadata key that names a secret's type.
const TypeKey = "type"

// IssueKind says what is wrong with a secret the manifest needs.
type IssueKind string

// Kinds of issue. The first five concern a whole secret, the rest a field.
const (
	IssueNotFetched   IssueKind = "not_fetched"   // no answer for the path
	IssueNotFound     IssueKind = "not_found"     // no secret at the path
	IssueDeleted      IssueKind = "deleted"       // its current version is deleted or destroyed
	IssueRetired      IssueKind = "retired"       // retired for good (ward kv retire); Detail says by whom, when, why
	IssueDenied       IssueKind = "denied"        // the token's policy does not allow reading it
	IssueMFARequired  IssueKind = "mfa_required"  // reading it needs a TOTP code the fetch did not carry
	IssueFetchError   IssueKind = "fetch_error"   // the server could not read it
	IssueExpired      IssueKind = "expired"       // past its expires_at
	IssueBadExpiry    IssueKind = "bad_expiry"    // expires_at is not an RFC 3339 time
	IssueNotObject    IssueKind = "not_object"    // the data is not a JSON object
	IssueFieldMissing IssueKind = "field_missing" // the object lacks the field
	IssueFieldNull    IssueKind = "field_null"    // the field is null
	IssueNotUsable    IssueKind = "not_usable"    // the value cannot go where it must (a NUL byte in an env var)
	IssueTypeMismatch IssueKind = "type_mismatch" // the secret is of another type than the manifest names
	IssueTypeInvalid  IssueKind = "type_invalid"  // the value breaks a rule of the type the manifest names
	IssueSynthetic    IssueKind = "synthetic"     // a synthetic value (ward env seed) where real ones must be
	IssueProdCopy     IssueKind = "prod_copy"     // a value equal to a production secret's, found by fingerprint
)

// Issue is one problem with a secret the component needs. It names the
// secret, the field and the consumer, never the value.
type Issue struct {
	Kind     IssueKind
	Secret   string // the secret's path (from)
	Field    string // the field, for field issues
	Var      string // the env vars and files that read it, comma-separated
	Optional bool   // every consumer is optional: a warning, not a failure
	Detail   string // the server's message, the expiry time or a type's rule; public
	Type     string // the type the manifest names, for type issues
	Line     int    // the manifest line of the first consumer
}

// Severity is "error" for an issue a required consumer has, else "warning".
func (i Issue) Severity() string {
	if i.Optional {
		return "warning"
	}
	return "error"
}

// Problem describes the issue in a few words, without the secret's path.
func (i Issue) Problem() string {
	var s string
	switch i.Kind {
	case IssueNotFetched:
		s = "not fetched"
	case IssueNotFound:
		s = "no secret at this path"
	case IssueDeleted:
		s = "its current version is deleted or destroyed"
	case IssueRetired:
		s = "retired: " + i.Detail
	case IssueDenied:
		s = "permission denied: the token's policy does not allow reading it"
	case IssueMFARequired:
		s = "reading it needs a TOTP code (step-up MFA): " + i.Detail
	case IssueFetchError:
		s = "the server could not read it: " + i.Detail
	case IssueExpired:
		s = "expired at " + i.Detail + " (its expires_at metadata)"
	case IssueBadExpiry:
		s = "its expires_at metadata is not an RFC 3339 time"
	case IssueNotObject:
		s = "its value is not a JSON object"
	case IssueFieldMissing:
		s = fmt.Sprintf("field %q missing", i.Field)
	case IssueFieldNull:
		s = fmt.Sprintf("field %q is null", i.Field)
	case IssueTypeMismatch:
		s = fmt.Sprintf("is of type %s, but the manifest names type %s", i.Detail, i.Type)
	case IssueTypeInvalid:
		s = "does not conform to type " + i.Type + ": "
		if i.Field != "" {
			s += fmt.Sprintf("field %q: ", i.Field)
		}
		s += i.Detail
	case IssueSynthetic:
		s = "holds a synthetic value (its metadata says synthetic=true), and a production environment must hold real ones"
	case IssueProdCopy:
		s = fmt.Sprintf("field %q holds a copy of a production value (%s, matched by fingerprint)", i.Field, i.Detail)
	case IssueNotUsable:
		s = fmt.Sprintf("field %q holds a NUL byte, which an env var cannot carry", i.Field)
		if i.Field == "" {
			s = "the secret holds a NUL byte, which an env var cannot carry"
		}
	default:
		s = string(i.Kind)
	}
	s += " (needed by " + i.Var
	if i.Optional {
		s += ", optional: left unset"
	}
	return s + ")"
}

// EnvValue is an env var's value.
type EnvValue struct {
	Name  string
	Value []byte
}

// FileValue is a file's content and mode.
type FileValue struct {
	Path  string
	Mode  os.FileMode
	Value []byte
}

// Resolution is what Resolve makes of the fetched secrets.
type Resolution struct {
	Env     []EnvValue  // the env vars that could be filled, sorted by name
	Files   []FileValue // the files that could be filled, sorted by path
	Missing []string    // optional env vars and files left unset, sorted
	Issues  []Issue     // every problem, sorted by manifest line
}

// Failed reports whether any issue concerns a required secret.
func (r *Resolution) Failed() bool {
	for _, i := range r.Issues {
		if !i.Optional {
			return true
		}
	}
	return false
}

// Wipe zeroes the values, for a caller done with them.
func (r *Resolution) Wipe() {
	for _, e := range r.Env {
		clear(e.Value)
	}
	for _, f := range r.Files {
		clear(f.Value)
	}
}

// consumer is an env var or a file, as Resolve sees both.
type consumer struct {
	name, from, field string
	optional, isEnv   bool
	mode              os.FileMode
	line              int
}

func (c *Component) consumers() []consumer {
	var cs []consumer
	for _, e := range c.Env {
		cs = append(cs, consumer{name: e.Name, from: e.From, field: e.Field, optional: e.Optional, isEnv: true, line: e.Line})
	}
	for _, f := range c.Files {
		cs = append(cs, consumer{name: f.Path, from: f.From, field: f.Field, optional: f.Optional, mode: f.Mode, line: f.Line})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].line < cs[j].line })
	return cs
}

// Resolve turns fetched secrets (by path) into the component's env values
// and file contents, and lists every issue at once: a whole secret's issue
// once per secret, a field's once per consumer. The value of a whole secret
// is its compact JSON; of a string field, the string; of a number or a
// boolean, its JSON text; of an object or an array, its compact JSON.
//
// now is the time expiry is judged at; the zero time means time.Now(). An
// expired secret is still resolved, with an IssueExpired beside it.
func (c *Component) Resolve(fetched map[string]Fetched, now time.Time) *Resolution {
	if now.IsZero() {
		now = time.Now()
	}
	r := &Resolution{}
	cs := c.consumers()
	objects := map[string]map[string]json.RawMessage{}
	raws := map[string]json.RawMessage{}
	failedSecret := map[string]bool{}
	wantTypes := c.SecretTypes()
	for _, path := range c.Secrets() {
		var users []consumer
		for _, u := range cs {
			if u.from == path {
				users = append(users, u)
			}
		}
		obj, issue := secretIssue(path, fetched, now)
		if issue != nil {
			issue.Secret, issue.Line, issue.Var, issue.Optional = path, users[0].line, names(users), allOptional(users)
			r.Issues = append(r.Issues, *issue)
			if issue.Kind != IssueExpired && issue.Kind != IssueBadExpiry {
				failedSecret[path] = true
				continue
			}
		}
		objects[path], raws[path] = obj, fetched[path].Data
		for _, is := range typeIssues(fetched[path], wantTypes[path]) {
			is.Secret, is.Line, is.Var, is.Optional = path, users[0].line, names(users), allOptional(users)
			r.Issues = append(r.Issues, is)
		}
	}
	for _, u := range cs {
		if failedSecret[u.from] {
			if u.optional {
				r.Missing = append(r.Missing, u.name)
			}
			continue
		}
		v, kind := value(objects[u.from], raws[u.from], u.field, u.isEnv)
		if kind != "" {
			r.Issues = append(r.Issues, Issue{Kind: kind, Secret: u.from, Field: u.field, Var: u.name, Optional: u.optional, Line: u.line})
			if u.optional {
				r.Missing = append(r.Missing, u.name)
			}
			continue
		}
		if u.isEnv {
			r.Env = append(r.Env, EnvValue{Name: u.name, Value: v})
		} else {
			r.Files = append(r.Files, FileValue{Path: u.name, Mode: u.mode, Value: v})
		}
	}
	sort.Slice(r.Env, func(i, j int) bool { return r.Env[i].Name < r.Env[j].Name })
	sort.Slice(r.Files, func(i, j int) bool { return r.Files[i].Path < r.Files[j].Path })
	sort.Strings(r.Missing)
	sort.SliceStable(r.Issues, func(i, j int) bool { return r.Issues[i].Line < r.Issues[j].Line })
	return r
}

// secretIssue checks a whole secret and decodes its object.
func secretIssue(path string, fetched map[string]Fetched, now time.Time) (map[string]json.RawMessage, *Issue) {
	f, ok := fetched[path]
	if !ok {
		return nil, &Issue{Kind: IssueNotFetched}
	}
	switch f.Status {
	case StatusOK:
	case StatusNotFound:
		return nil, &Issue{Kind: IssueNotFound}
	case StatusDeleted:
		return nil, &Issue{Kind: IssueDeleted}
	case StatusRetired:
		return nil, &Issue{Kind: IssueRetired, Detail: f.Error}
	case StatusDenied:
		if f.MFARequired {
			return nil, &Issue{Kind: IssueMFARequired, Detail: f.Error}
		}
		return nil, &Issue{Kind: IssueDenied}
	default:
		return nil, &Issue{Kind: IssueFetchError, Detail: f.Error}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(f.Data, &obj); err != nil || obj == nil {
		// The decoder's message may quote the data: say only what is wrong.
		return nil, &Issue{Kind: IssueNotObject}
	}
	if exp, ok := f.CustomMetadata[ExpiresAtKey]; ok {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(exp))
		switch {
		case err != nil:
			return obj, &Issue{Kind: IssueBadExpiry}
		case !now.Before(t):
			return obj, &Issue{Kind: IssueExpired, Detail: t.UTC().Format(time.RFC3339)}
		}
	}
	return obj, nil
}

// typeIssues checks a fetched secret against the type the manifest names
// for it: the secret's own type, when it has one, must be that type, and
// its value must conform to it (the server's judgement, in TypeProblems).
func typeIssues(f Fetched, want string) []Issue {
	if want == "" {
		return nil
	}
	if got := f.CustomMetadata[TypeKey]; got != "" && got != want {
		return []Issue{{Kind: IssueTypeMismatch, Type: want, Detail: got}}
	}
	var out []Issue
	for _, p := range f.TypeProblems {
		out = append(out, Issue{Kind: IssueTypeInvalid, Type: want, Field: p.Field, Detail: p.Message})
	}
	return out
}

// value extracts what a consumer gets from a secret's object.
// whole is the secret's JSON as fetched, used when field is "".
func value(obj map[string]json.RawMessage, whole json.RawMessage, field string, isEnv bool) ([]byte, IssueKind) {
	raw := whole
	if field != "" {
		var ok bool
		if raw, ok = obj[field]; !ok {
			return nil, IssueFieldMissing
		}
	}
	raw = bytes.TrimSpace(raw)
	var v []byte
	switch {
	case len(raw) == 0:
		return nil, IssueFieldMissing
	case string(raw) == "null":
		return nil, IssueFieldNull
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, IssueNotUsable
		}
		v = []byte(s)
	default:
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, IssueNotUsable
		}
		v = b.Bytes()
	}
	if isEnv && bytes.IndexByte(v, 0) >= 0 {
		clear(v)
		return nil, IssueNotUsable
	}
	return v, ""
}

func names(us []consumer) string {
	n := make([]string, len(us))
	for i, u := range us {
		n[i] = u.name
	}
	return strings.Join(n, ", ")
}

func allOptional(us []consumer) bool {
	for _, u := range us {
		if !u.optional {
			return false
		}
	}
	return true
}
