package plan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/lazyre"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/suggest"
	"github.com/wardhq/ward/internal/types"
)

// The checks one object must pass, shared by Load (which reports them at the
// line of the offending field) and Validate (which reports them at the
// object's source, for a state submitted to the server).

// The custom metadata keys a secret declaration's fields become.
const (
	KeyType        = "type"
	KeyOwner       = "owner"
	KeyRecipients  = "recipients"
	KeyExpiresAt   = "expires_at"
	KeyRotateEvery = "rotate_every"
	KeyDescription = "description"
)

// declaredKeys are the custom metadata keys with a field of their own in a
// secret declaration, in the order they are checked.
var declaredKeys = []string{KeyType, KeyOwner, KeyRecipients, KeyExpiresAt, KeyRotateEvery, KeyDescription}

// valueKeys are keys that would put a secret's value in the repository:
// a secret's data, or one of the fields secrets usually hold.
var valueKeys = []string{"value", "values", "data", "password", "passwd", "secret", "token", "private_key", "secret_key", "api_key"}

var (
	nameRE     = lazyre.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	metaKeyRE  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	durationRE = lazyre.New(`^([0-9]{1,6}[dw])+$`)
)

// typeNameProblem checks a type's name.
func typeNameProblem(name string) string {
	if err := types.ValidName(name); err != nil {
		return err.Error()
	}
	return ""
}

// policyNameProblem checks a policy's name.
func policyNameProblem(name string) string {
	if err := policy.ValidName(name); err != nil {
		return err.Error()
	}
	return ""
}

// metaKeyProblem checks a custom metadata key named in a declaration or a
// required-metadata rule.
func metaKeyProblem(key string) string {
	switch {
	case slices.Contains(valueKeys, strings.ToLower(key)):
		return fmt.Sprintf("%s: a secrets file declares metadata only, never a value; keep values out of the repository and write them with 'ward kv put'", quote(key))
	case !metaKeyRE().MatchString(key):
		return fmt.Sprintf("metadata key %s: use 1 to 128 letters, digits, '.', '-' and '_', starting with a letter or digit", quote(key))
	}
	return ""
}

// secretPathProblem checks a declared secret's path, which must be one a
// request could name.
func secretPathProblem(p string) string {
	if err := secrets.CheckPath(p); err != nil {
		return err.Error()
	}
	if _, err := policy.CanonicalPath(p); err != nil {
		var pe *policy.PathError
		if errors.As(err, &pe) {
			return fmt.Sprintf("secret path %s: %s", quote(p), pe.Error())
		}
		return err.Error()
	}
	return ""
}

// metaValueProblem checks the value of one declared metadata field. Values
// of metadata are public, but a message still names only the field.
func metaValueProblem(key, value string) string {
	switch key {
	case KeyType:
		return typeNameProblem(value)
	case KeyExpiresAt:
		if _, err := time.Parse(time.RFC3339, value); err != nil {
			return "expires_at must be an RFC 3339 time, like 2027-01-31T00:00:00Z"
		}
	case KeyRotateEvery:
		if !validInterval(value) {
			return "rotate_every must be a duration like 90d, 2w or 720h"
		}
	case KeyRecipients:
		for r := range strings.SplitSeq(value, ",") {
			if !nameRE().MatchString(r) {
				return fmt.Sprintf("recipient %s: name a component, with lowercase letters, digits, '-' and '_'", quote(r))
			}
		}
	}
	if value == "" {
		return fmt.Sprintf("%s is empty; give a value or leave the field out", key)
	}
	if len(value) > secrets.MaxCustomMetadataValueLen {
		return fmt.Sprintf("%s is %d bytes; at most %d are allowed", key, len(value), secrets.MaxCustomMetadataValueLen)
	}
	return ""
}

// validInterval accepts a rotation interval: weeks and days (2w, 90d,
// 1w3d) or a Go duration (36h) of at least a minute.
func validInterval(s string) bool {
	if durationRE().MatchString(s) {
		return true
	}
	d, err := time.ParseDuration(s)
	return err == nil && d >= time.Minute
}

// crossCheck finds what no single object shows: two declarations of one
// object, a secret in an environment the state does not declare, a secret
// of a type neither the state declares nor knownTypes knows (nil:
// unchecked).
func crossCheck(s *State, knownTypes func(string) bool, ps *problems) {
	envs := map[string]Source{}
	for _, e := range s.Envs {
		if first, dup := envs[e.Name]; dup {
			ps.at(e.Source, "environment %q is declared twice (first at %s)", e.Name, first)
		}
		envs[e.Name] = e.Source
	}
	policies := map[string]Source{}
	for _, p := range s.Policies {
		if first, dup := policies[p.Name]; dup {
			ps.at(p.Source, "policy %q is declared twice (first at %s)", p.Name, first)
		}
		policies[p.Name] = p.Source
	}
	declaredTypes := map[string]Source{}
	for _, t := range s.Types {
		if first, dup := declaredTypes[t.Name]; dup {
			ps.at(t.Source, "type %q is declared twice (first at %s)", t.Name, first)
		}
		declaredTypes[t.Name] = t.Source
	}
	secretsSeen := map[string]Source{}
	for _, sec := range s.Secrets {
		if first, dup := secretsSeen[sec.ID()]; dup {
			ps.at(sec.Source, "secret %s is declared twice (first at %s)", sec.ID(), first)
		}
		secretsSeen[sec.ID()] = sec.Source
		if _, ok := envs[sec.Env]; !ok {
			ps.at(sec.Source, "secret %s: environment %q is not declared; add it to environments.yaml", sec.ID(), sec.Env)
		}
		if t, ok := sec.Metadata[KeyType]; ok {
			if _, declared := declaredTypes[t]; !declared && knownTypes != nil && !knownTypes(t) {
				names := append(types.BuiltinNames(), slices.Collect(maps.Keys(declaredTypes))...)
				if sg := suggest.Closest(t, names); sg != "" {
					ps.at(sec.Source, "secret %s: unknown type %q; did you mean %q?", sec.ID(), t, sg)
					continue
				}
				ps.at(sec.Source, "secret %s: unknown type %q; declare it in types/%s.schema.json or use a built-in type (%s)", sec.ID(), t, t, strings.Join(types.BuiltinNames(), ", "))
			}
		}
	}
}
