package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Options tunes Diff.
type Options struct {
	// Prune deletes the server's environments, policies and types that the
	// desired state does not declare, for each kind the desired state
	// manages. Secrets are never pruned: their values are not in the
	// directory, so leaving a declaration out must not destroy them.
	Prune bool
}

// The kinds of object a Change is about, in the order changes are listed
// and applied.
const (
	KindEnv    = "environment"
	KindType   = "type"
	KindPolicy = "policy"
	KindSecret = "secret"
)

// The actions of a Change.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// Change is one object that differs between the current and the desired
// state.
type Change struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"` // ENV/PATH for a secret
	Action string `json:"action"`
	// Diff is the unified diff of a policy's or a type's source.
	Diff string `json:"diff,omitempty"`
	// Fields lists the changed fields of an environment or a secret's
	// metadata.
	Fields []FieldChange `json:"fields,omitempty"`
	// Access lists what a policy grants or refuses that it did not before,
	// and what it no longer does.
	Access []AccessChange `json:"access,omitempty"`
	Source Source         `json:"source,omitzero"`
}

// FieldChange is one field of an object: Old "" when added, New "" when
// removed. Metadata is never secret, so both are shown.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// Diff lists the changes that turn current into desired, by kind
// (environments, types, policies, secrets) and then by name. current is
// what the server holds; a desired secret missing from current.Secrets, or
// there without Exists, has no metadata on the server yet.
func Diff(current, desired *State, opt Options) []Change {
	var out []Change
	out = append(out, diffEnvs(current, desired, opt)...)
	out = append(out, diffTypes(current, desired, opt)...)
	out = append(out, diffPolicies(current, desired, opt)...)
	out = append(out, diffSecrets(current, desired)...)
	out = append(out, diffAlerts(current, desired)...)
	return out
}

func diffEnvs(current, desired *State, opt Options) []Change {
	var out []Change
	for _, want := range desired.Envs {
		have := current.Env(want.Name)
		var before [][]string
		var wasProd *bool
		if have != nil {
			before, wasProd = have.RequiredMetadata, have.Production
		}
		fields := append(diffRules(before, want.RequiredMetadata), diffProduction(wasProd, want.Production)...)
		switch {
		case have == nil:
			out = append(out, Change{Kind: KindEnv, Name: want.Name, Action: Create, Fields: fields, Source: want.Source})
		case len(fields) > 0:
			out = append(out, Change{Kind: KindEnv, Name: want.Name, Action: Update, Fields: fields, Source: want.Source})
		}
	}
	if opt.Prune && desired.Manages.Envs {
		for _, have := range current.Envs {
			if desired.Env(have.Name) == nil {
				fields := append(diffRules(have.RequiredMetadata, nil), diffProduction(have.Production, nil)...)
				out = append(out, Change{Kind: KindEnv, Name: have.Name, Action: Delete, Fields: fields})
			}
		}
	}
	return out
}

// diffProduction compares production marks: "true", "false" or unset.
func diffProduction(before, after *bool) []FieldChange {
	text := func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	}
	if text(before) == text(after) {
		return nil
	}
	return []FieldChange{{Field: "production", Old: text(before), New: text(after)}}
}

// diffRules compares required-metadata rules, one field per rule, written
// "a" or "a|b" for a choice.
func diffRules(before, after [][]string) []FieldChange {
	text := func(rules [][]string) []string {
		out := make([]string, len(rules))
		for i, alts := range rules {
			out[i] = strings.Join(alts, "|")
		}
		return out
	}
	b, a := text(before), text(after)
	var out []FieldChange
	for _, r := range b {
		if !slices.Contains(a, r) {
			out = append(out, FieldChange{Field: "required_metadata", Old: r})
		}
	}
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, FieldChange{Field: "required_metadata", New: r})
		}
	}
	return out
}

func diffTypes(current, desired *State, opt Options) []Change {
	var out []Change
	for _, want := range desired.Types {
		file := want.Source.File
		if file == "" {
			file = TypesDir + "/" + want.Name + schemaExt
		}
		have := current.Type(want.Name)
		switch {
		case have == nil:
			out = append(out, Change{Kind: KindType, Name: want.Name, Action: Create, Source: want.Source,
				Diff: Unified("/dev/null", "b/"+file, "", want.Schema, DefaultContext)})
		case have.Schema != want.Schema:
			out = append(out, Change{Kind: KindType, Name: want.Name, Action: Update, Source: want.Source,
				Diff: Unified("a/"+file, "b/"+file, have.Schema, want.Schema, DefaultContext)})
		}
	}
	if opt.Prune && desired.Manages.Types {
		for _, have := range current.Types {
			if desired.Type(have.Name) == nil {
				file := TypesDir + "/" + have.Name + schemaExt
				out = append(out, Change{Kind: KindType, Name: have.Name, Action: Delete,
					Diff: Unified("a/"+file, "/dev/null", have.Schema, "", DefaultContext)})
			}
		}
	}
	return out
}

func diffPolicies(current, desired *State, opt Options) []Change {
	envs := envNames(current, desired)
	var out []Change
	for _, want := range desired.Policies {
		file := want.Source.File
		if file == "" {
			file = PoliciesDir + "/" + want.Name + ".yaml"
		}
		have := current.Policy(want.Name)
		switch {
		case have == nil:
			out = append(out, Change{Kind: KindPolicy, Name: want.Name, Action: Create, Source: want.Source,
				Diff:   Unified("/dev/null", "b/"+file, "", want.Text, DefaultContext),
				Access: AccessDiff(want.Name, "", want.Text, envs)})
		case have.Text != want.Text:
			out = append(out, Change{Kind: KindPolicy, Name: want.Name, Action: Update, Source: want.Source,
				Diff:   Unified("a/"+file, "b/"+file, have.Text, want.Text, DefaultContext),
				Access: AccessDiff(want.Name, have.Text, want.Text, envs)})
		}
	}
	if opt.Prune && desired.Manages.Policies {
		for _, have := range current.Policies {
			if desired.Policy(have.Name) == nil {
				file := PoliciesDir + "/" + have.Name + ".yaml"
				out = append(out, Change{Kind: KindPolicy, Name: have.Name, Action: Delete,
					Diff:   Unified("a/"+file, "/dev/null", have.Text, "", DefaultContext),
					Access: AccessDiff(have.Name, have.Text, "", envs)})
			}
		}
	}
	return out
}

// envNames is every environment either state knows, sorted.
func envNames(states ...*State) []string {
	set := map[string]bool{}
	for _, s := range states {
		for _, e := range s.Envs {
			set[e.Name] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func diffSecrets(current, desired *State) []Change {
	have := map[string]*Secret{}
	for i := range current.Secrets {
		if current.Secrets[i].Exists {
			have[current.Secrets[i].ID()] = &current.Secrets[i]
		}
	}
	var out []Change
	for _, want := range desired.Secrets {
		h := have[want.ID()]
		var before map[string]string
		if h != nil {
			before = h.Metadata
		}
		fields := diffMetadata(before, want.Metadata)
		switch {
		case h == nil:
			out = append(out, Change{Kind: KindSecret, Name: want.ID(), Action: Create, Fields: fields, Source: want.Source})
		case len(fields) > 0:
			out = append(out, Change{Kind: KindSecret, Name: want.ID(), Action: Update, Fields: fields, Source: want.Source})
		}
	}
	return out
}

// diffMetadata lists the keys added, changed and removed, by key.
func diffMetadata(before, after map[string]string) []FieldChange {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []FieldChange
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if before[k] != after[k] {
			out = append(out, FieldChange{Field: k, Old: before[k], New: after[k]})
		}
	}
	return out
}

// Digest identifies a list of changes: what `ward apply` shows and then
// asks the server to make, and nothing else.
func Digest(changes []Change) string {
	if changes == nil {
		changes = []Change{}
	}
	b, _ := json.Marshal(changes)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
