package run

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
	for _, e := range res.Env {
		secrets = append(secrets, mask.Secret{Name: e.Name, Value: bytes.Clone(e.Value)})
	}
	for _, f := range res.Files {
		secrets = append(secrets, mask.Secret{Name: f.Path, Value: bytes.Clone(f.Value)})
	}
	return secrets, nil
}
