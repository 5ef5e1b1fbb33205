// Package manifest reads ward.yaml, the file in an application repository
// that declares, for each component of the application (a Go API, a Rust
// worker, …), the secrets it needs and where each goes: an environment
// variable or a file. The manifest never names an environment: the same file
// serves dev, staging and prod.
//
// Most callers need two calls:
//
//	m, err := manifest.Load("ward.yaml")      // strict: every mistake, with its line
//	c, err := m.Component("api")              // "" picks the only component
//
// then fetch c.Secrets() from the vault and turn them into values with
// c.Resolve, which also reports every secret that is missing, denied,
// expired or lacks a field.
//
// The format, by example:
//
//	version: 1
//	components:
//	  api:
//	    language: go                 # go, rust or other
//	    env:
//	      DATABASE_URL: {from: payments/db, field: url, type: postgres}
//	      SENTRY_DSN:   {from: shared/sentry, field: dsn, optional: true}
//	      PAYMENTS_DB:  {from: payments/db}        # no field: the whole object as JSON
//	    files:
//	      tls/client.pem: {from: payments/tls, field: cert, mode: "0400"}
//	    reload: {signal: SIGHUP, env: restart, revoked: stop}   # ward run --watch; see Reload
//
// Parsing is strict: unknown fields (with a did-you-mean), duplicate keys,
// YAML anchors, aliases and tags, and values of the wrong kind are refused.
// Errors are an *Error listing every Problem sorted by line; they quote
// names and paths from the manifest, never the value of a misplaced scalar,
// which might be a secret pasted by mistake.
//
// Rules for names (see rules.go):
//   - a component is [a-z0-9][a-z0-9_-]*, at most 63 bytes;
//   - an env var is [A-Z_][A-Z0-9_]*, and neither ward's own (WARD_*) nor
//     one that changes which programs run or how (PATH, HOME, SHELL, IFS,
//     ENV, BASH_ENV, LD_*, DYLD_*, GODEBUG, GOFLAGS, RUSTFLAGS, …): a secret
//     there would break the build or hand control of it to a value;
//   - a file path is relative and clean, no "..", segments of [A-Za-z0-9._-];
//   - a mode is an octal string like "0600" or "0400" (default 0600): the
//     owner may read, the group may at most read and execute, others nothing;
//   - from is a secret path: segments of [A-Za-z0-9._-], no "." or "..".
//   - type names the type (a JSON Schema registered on the server, or a
//     built-in) the secret at from must have and conform to; every entry
//     that reads one secret names the same type or none.
package manifest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultMode is the mode of a secret file whose manifest entry has none.
const DefaultMode os.FileMode = 0o600

// MaxSize bounds a manifest read by Load.
const MaxSize = 1 << 20

// Manifest is a parsed, valid ward.yaml.
type Manifest struct {
	Version    int
	Components map[string]*Component
}

// Component is one program of the application and the secrets it needs.
// Env is sorted by Name, Files by Path.
type Component struct {
	Name     string
	Language string // go, rust or other
	Env      []EnvVar
	Files    []File
	Reload   Reload // what ward run --watch does on a change; see Reload
}

// EnvVar is one environment variable filled from a secret: the field Field
// of the secret at From, or the whole secret as JSON when Field is "".
type EnvVar struct {
	Name, From, Field, Type string
	Optional                bool
	Line                    int // where it is declared in the manifest
}

// File is one file filled from a secret, at Path under the secrets directory.
type File struct {
	Path, From, Field, Type string
	Mode                    os.FileMode
	Optional                bool
	Line                    int
}

// Errors of Component, matched with errors.Is.
var (
	ErrUnknownComponent  = errors.New("unknown component")
	ErrComponentRequired = errors.New("several components: name one")
)

// ComponentError says which component was asked for and which exist.
type ComponentError struct {
	Name  string   // what was asked for ("" for none)
	Known []string // the manifest's components, sorted
	Err   error    // ErrUnknownComponent or ErrComponentRequired
}

func (e *ComponentError) Error() string {
	known := strings.Join(e.Known, ", ")
	if e.Err == ErrComponentRequired {
		return fmt.Sprintf("the manifest has %d components (%s): name one", len(e.Known), known)
	}
	return fmt.Sprintf("no component %q in the manifest; it has: %s", e.Name, known)
}

func (e *ComponentError) Unwrap() error { return e.Err }

// Load reads and parses the manifest at path. Problems name the file by
// path as given (cleaned), so that editors can jump to NAME:LINE:COL.
func Load(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(src) > MaxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxSize)
	}
	return Parse(filepath.Clean(path), src)
}

// Names returns the manifest's component names, sorted.
func (m *Manifest) Names() []string {
	names := make([]string, 0, len(m.Components))
	for n := range m.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Component returns the component called name; "" returns the only one, or
// a *ComponentError matching ErrComponentRequired when there are several.
// An unknown name is a *ComponentError matching ErrUnknownComponent.
func (m *Manifest) Component(name string) (*Component, error) {
	if name == "" {
		if len(m.Components) == 1 {
			for _, c := range m.Components {
				return c, nil
			}
		}
		return nil, &ComponentError{Known: m.Names(), Err: ErrComponentRequired}
	}
	c, ok := m.Components[name]
	if !ok {
		return nil, &ComponentError{Name: name, Known: m.Names(), Err: ErrUnknownComponent}
	}
	return c, nil
}

// SecretTypes returns the type the manifest names for each secret that has
// one, by path.
func (c *Component) SecretTypes() map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		if e.Type != "" {
			out[e.From] = e.Type
		}
	}
	for _, f := range c.Files {
		if f.Type != "" {
			out[f.From] = f.Type
		}
	}
	return out
}

// Secrets returns the distinct secret paths the component reads, sorted.
func (c *Component) Secrets() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, e := range c.Env {
		add(e.From)
	}
	for _, f := range c.Files {
		add(f.From)
	}
	sort.Strings(out)
	return out
}
