package job

import (
	"bytes"
	"encoding/json"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/mask"
)

// MaskSecrets returns what the masker must hide for a job: every string
// leaf of each secret fetched (named PATH.FIELD), and each env value and
// file content the job receives (named after the env var or file), which
// covers numbers and other non-string fields. env names the environment in
// errors.
func MaskSecrets(env string, fetched map[string]manifest.Fetched, res *manifest.Resolution) ([]mask.Secret, error) {
	all := map[string]json.RawMessage{}
	for p, f := range fetched {
		if f.Status == manifest.StatusOK && json.Valid(f.Data) && bytes.HasPrefix(bytes.TrimSpace(f.Data), []byte("{")) {
			all[p] = f.Data
		}
	}
	var secrets []mask.Secret
	if len(all) > 0 {
		doc, err := json.Marshal(all)
		clear(all)
		if err != nil {
			return nil, err
		}
		secrets, err = mask.ReadValues(bytes.NewReader(doc), env)
		clear(doc)
		if err != nil {
			return nil, err
		}
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
