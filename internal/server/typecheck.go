package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wardhq/ward/internal/types"
	"github.com/wardhq/ward/internal/vault"
)

// writeCheck is what every KV data write and patch of req must pass, run
// by the engine under the secret's lock on the data about to be stored:
// the environment's required metadata, then the secret's type, if its
// metadata names one. A failure is a 400 that names the environment, path,
// fields and rules, never a value; nothing is written.
func (s *Server) writeCheck(req *request) func(data []byte, custom map[string]string) error {
	env, p := req.env.Name, req.param("path")
	return func(data []byte, custom map[string]string) error {
		t, err := s.secretRules(env, p, custom)
		if t == nil || err != nil {
			return err
		}
		return t.ValidateJSON(env, p, data)
	}
}

// secretRules checks custom metadata against the environment's required
// metadata and returns the type it names: nil when it names none.
func (s *Server) secretRules(env, p string, custom map[string]string) (*types.Type, error) {
	rules, err := s.v.EnvRules(env)
	if err != nil {
		return nil, err
	}
	if missing := rules.Missing(custom); len(missing) > 0 {
		return nil, &vault.MissingMetadataError{Env: env, Path: p, Missing: missing}
	}
	name := custom[vault.MetaType]
	if name == "" {
		return nil, nil
	}
	t, err := s.v.Type(name)
	if err != nil {
		return nil, typeMetadataError(env, p, err)
	}
	return t, nil
}

// metadataCheck is what a KV metadata write that sets custom metadata must
// pass: the environment's required metadata, the forms of expires_at and
// rotate_every, a type that exists, and a current value that conforms to
// it. nil when the write leaves custom metadata alone.
func (s *Server) metadataCheck(req *request, custom map[string]string) func(map[string]string, func() ([]byte, error)) error {
	if custom == nil {
		return nil
	}
	env, p := req.env.Name, req.param("path")
	return func(custom map[string]string, current func() ([]byte, error)) error {
		if err := vault.CheckMetadataFormats(env, p, custom); err != nil {
			return err
		}
		t, err := s.secretRules(env, p, custom)
		if t == nil || err != nil {
			return err
		}
		data, err := current()
		if err != nil || data == nil {
			return err
		}
		if err := t.ValidateJSON(env, p, data); err != nil {
			var ve *types.ValidationError
			if errors.As(err, &ve) {
				return errorf(http.StatusBadRequest, "%v; the current value does not conform to type %s: fix it first (ward kv patch --env %s %s FIELD=@FILE) or name another type", err, custom[vault.MetaType], env, p)
			}
			return err
		}
		return nil
	}
}

// typeMetadataError explains a metadata "type" that names no type.
func typeMetadataError(env, p string, err error) error {
	var nf *vault.TypeNotFoundError
	if errors.As(err, &nf) {
		msg := fmt.Sprintf("%s/%s: metadata \"type\" names %q, which is not a type", env, p, nf.Name)
		if nf.Suggest != "" {
			msg += fmt.Sprintf("; did you mean %q?", nf.Suggest)
		}
		return errorf(http.StatusBadRequest, "%s; hint: ward type list", msg)
	}
	return err
}

// recordRead notes a successful read of env's secret p for
// `ward kv usage`. Recording is batched by the vault and never slows or
// fails the read.
func (s *Server) recordRead(req *request, p string, version int) {
	if req.env == nil || req.Token == nil {
		return
	}
	s.v.RecordRead(req.env, p, req.Token.DisplayName, version)
}
