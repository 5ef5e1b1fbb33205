package job

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/mask"
)

// PublicFields reports whether the top-level field of the secret at path is
// public: its type marks it "x-ward-sensitive": false. Nil means no field
// is.
type PublicFields func(path, field string) bool

// publicScalars returns the public top-level fields of data that are not
// strings (a port, a flag) as they are written, so that an env var that
// receives one is known to be public too.
func publicScalars(path string, data json.RawMessage, public PublicFields) []mask.Secret {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return nil
	}
	var out []mask.Secret
	for f, raw := range fields {
		if c := raw[0]; c != '"' && c != '{' && c != '[' && public(path, f) {
			out = append(out, mask.Secret{Name: path + "." + f, Value: bytes.Clone(raw), Public: true})
		}
	}
	clear(fields)
	slices.SortFunc(out, func(a, b mask.Secret) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// MaskSecrets returns what the masker must hide for a job: every string
// leaf of each secret fetched (named PATH.FIELD), and each env value and
// file content the job receives (named after the env var or file), which
// covers numbers and other non-string fields. Leaves under a public field
// are marked Public, and so not masked, as are public numbers and flags;
// an env value or file equal to one of them is left to it. env names the
// environment in errors.
func MaskSecrets(env string, fetched map[string]manifest.Fetched, res *manifest.Resolution, public PublicFields) ([]mask.Secret, error) {
	var secrets []mask.Secret
	paths := make([]string, 0, len(fetched))
	for p, f := range fetched {
		if f.Status == manifest.StatusOK && json.Valid(f.Data) && bytes.HasPrefix(bytes.TrimSpace(f.Data), []byte("{")) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		doc, err := json.Marshal(map[string]json.RawMessage{p: fetched[p].Data})
		if err != nil {
			return nil, err
		}
		leaves, err := mask.ReadValues(bytes.NewReader(doc), env)
		clear(doc)
		if err != nil {
			return nil, err
		}
		if public != nil {
			for i := range leaves {
				field, _, _ := strings.Cut(strings.TrimPrefix(leaves[i].Name, p+"."), ".")
				leaves[i].Public = public(p, field)
			}
			leaves = append(leaves, publicScalars(p, fetched[p].Data, public)...)
		}
		secrets = append(secrets, leaves...)
	}
	// A value that is a leaf already is not compiled twice: that would
	// double the masker's start-up time for the usual manifest.
	leaves := make(map[string]bool, len(secrets))
	for _, s := range secrets {
		leaves[string(s.Value)] = true
	}
	add := func(name string, v []byte) {
		if !leaves[string(v)] {
			leaves[string(v)] = true
			secrets = append(secrets, mask.Secret{Name: name, Value: bytes.Clone(v)})
		}
	}
	for _, e := range res.Env {
		add(e.Name, e.Value)
	}
	for _, f := range res.Files {
		add(f.Path, f.Value)
	}
	clear(leaves)
	return secrets, nil
}
