package plan

import (
	"cmp"
	"slices"
)

// State is a set of objects ward manages as code: what a directory declares
// (desired) or what a server holds (current). Its JSON form is what `ward
// plan` and `ward apply` send to the server.
type State struct {
	// Manages says which kinds of object the state speaks for; an absent
	// part of a directory manages nothing, and is never pruned.
	Manages  Manages  `json:"manages"`
	Envs     []Env    `json:"environments"`
	Policies []Policy `json:"policies"`
	Types    []Type   `json:"types"`
	Secrets  []Secret `json:"secrets"`
	Alerts   *Alerts  `json:"alerts,omitempty"` // alerts.yaml; see alerts.go
}

// Manages says which kinds of object a State declares in full.
type Manages struct {
	Envs     bool `json:"environments"`
	Policies bool `json:"policies"`
	Types    bool `json:"types"`
	Alerts   bool `json:"alerts,omitempty"`
}

// Source is where an object is declared: a file relative to the directory
// and a 1-based line. Zero for objects read from a server.
type Source struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// String is file:line, or "" for no source.
func (s Source) String() string {
	switch {
	case s.File == "":
		return ""
	case s.Line == 0:
		return s.File
	}
	return s.File + ":" + itoa(s.Line)
}

// Env is an environment and the metadata each of its secrets must carry.
type Env struct {
	Name string `json:"name"`
	// RequiredMetadata lists the custom metadata keys a secret's write must
	// carry; each inner list is satisfied by any one of its keys.
	RequiredMetadata [][]string `json:"required_metadata,omitempty"`
	// Production marks the environment production or not; nil leaves it
	// to its name (prod, production, prod-*).
	Production *bool  `json:"production,omitempty"`
	Source     Source `json:"source,omitzero"`
}

// Policy is a policy's YAML source, as written.
type Policy struct {
	Name   string `json:"name"`
	Text   string `json:"text"`
	Source Source `json:"source,omitzero"`
}

// Type is a JSON Schema registered under a name.
type Type struct {
	Name   string `json:"name"`
	Schema string `json:"schema"`
	Source Source `json:"source,omitzero"`
}

// Secret is the declared metadata of the secret at Path in Env: the custom
// metadata it must carry on the server. Never a value.
type Secret struct {
	Env      string            `json:"env"`
	Path     string            `json:"path"`
	Metadata map[string]string `json:"metadata"`
	Source   Source            `json:"source,omitzero"`
	// Exists is set on current state when the secret has metadata on the
	// server at all.
	Exists bool `json:"exists,omitempty"`
}

// ID is ENV/PATH, how plans name a secret.
func (s *Secret) ID() string { return s.Env + "/" + s.Path }

// Sort orders every list of s by name, as Load and the server produce them.
func (s *State) Sort() {
	slices.SortFunc(s.Envs, func(a, b Env) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Policies, func(a, b Policy) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Types, func(a, b Type) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Secrets, func(a, b Secret) int { return cmp.Compare(a.ID(), b.ID()) })
}

// Env returns the environment called name, or nil.
func (s *State) Env(name string) *Env {
	for i := range s.Envs {
		if s.Envs[i].Name == name {
			return &s.Envs[i]
		}
	}
	return nil
}

// Policy returns the policy called name, or nil.
func (s *State) Policy(name string) *Policy {
	for i := range s.Policies {
		if s.Policies[i].Name == name {
			return &s.Policies[i]
		}
	}
	return nil
}

// Type returns the type called name, or nil.
func (s *State) Type(name string) *Type {
	for i := range s.Types {
		if s.Types[i].Name == name {
			return &s.Types[i]
		}
	}
	return nil
}
