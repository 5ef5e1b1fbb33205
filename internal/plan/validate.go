package plan

import (
	"slices"

	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
)

// Validate checks a state submitted to the server as Load checks a
// directory, reporting each problem at its object's source, so that the
// author sees file:line however the state reached the server. knownTypes
// reports the types that exist beside the state's own (the server's and the
// built-in ones); nil leaves type references unchecked.
func Validate(s *State, knownTypes func(string) bool) error {
	var ps problems
	for _, e := range s.Envs {
		if msg := envNameProblem(e.Name); msg != "" {
			ps.at(e.Source, "%s", msg)
		}
		for _, alts := range e.RequiredMetadata {
			if len(alts) == 0 {
				ps.at(e.Source, "environment %s: an empty required_metadata choice", e.Name)
			}
			for _, k := range alts {
				if msg := metaKeyProblem(k); msg != "" {
					ps.at(e.Source, "environment %s: required_metadata: %s", e.Name, msg)
				}
			}
		}
	}
	for _, p := range s.Policies {
		if msg := policyNameProblem(p.Name); msg != "" {
			ps.at(p.Source, "%s", msg)
			continue
		}
		if _, err := policy.Parse(p.Name, []byte(p.Text)); err != nil {
			ps.policyError(p.Source.File, err)
		}
	}
	for _, t := range s.Types {
		if msg := typeNameProblem(t.Name); msg != "" {
			ps.at(t.Source, "%s", msg)
			continue
		}
		if line, msg := schemaProblem(t.Name, []byte(t.Schema)); msg != "" {
			ps.add(t.Source.File, line, 0, "%s", msg)
		}
	}
	for _, sec := range s.Secrets {
		validateSecret(&sec, &ps)
	}
	if s.Alerts != nil {
		validateAlerts(s.Alerts, &ps)
	}
	crossCheck(s, knownTypes, &ps)
	return ps.err()
}

func validateSecret(s *Secret, ps *problems) {
	if msg := envNameProblem(s.Env); msg != "" {
		ps.at(s.Source, "%s", msg)
	}
	if msg := secretPathProblem(s.Path); msg != "" {
		ps.at(s.Source, "%s", msg)
	}
	if len(s.Metadata) > secrets.MaxCustomMetadataKeys {
		ps.at(s.Source, "secret %s declares %d metadata keys; at most %d are allowed", s.ID(), len(s.Metadata), secrets.MaxCustomMetadataKeys)
	}
	for _, k := range sortedKeys(s.Metadata) {
		if msg := metaKeyProblem(k); msg != "" {
			ps.at(s.Source, "secret %s: %s", s.ID(), msg)
			continue
		}
		if msg := metaValueProblem(k, s.Metadata[k]); msg != "" {
			ps.at(s.Source, "secret %s: %s", s.ID(), msg)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
