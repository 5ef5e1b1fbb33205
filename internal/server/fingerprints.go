package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/scan/known"
	"github.com/wardhq/ward/internal/secrets"
)

// maxFingerprintSecrets bounds the secrets one fingerprint set covers.
const maxFingerprintSecrets = 10000

// fingerprints answers sys/ward/fingerprints/ENV: a fingerprint set (see
// package known) of every secret the caller may read in ENV, for
// `ward scan --known`, which finds them in logs and artifacts without ever
// holding a value. Each secret it covers leaves a "fingerprint" entry in the
// audit log.
func (s *Server) fingerprints(ctx context.Context, req *request) (*response, error) {
	paths, err := s.readablePaths(ctx, req, "")
	if err != nil {
		return nil, err
	}
	var list []known.Secret
	entries := make([]*audit.Entry, 0, len(paths))
	for _, p := range paths {
		ver, err := req.env.KV.Get(ctx, p, 0)
		if err != nil || ver == nil || ver.Data == nil {
			continue // deleted, destroyed or gone since the listing
		}
		var obj map[string]any
		if json.Unmarshal(ver.Data, &obj) != nil {
			continue
		}
		leaves(obj, "", func(field, value string) {
			if len(value) >= known.MinLength {
				list = append(list, known.Secret{Path: p, Field: field, Version: ver.Metadata.Version, Value: []byte(value)})
			}
		})
		e := s.auditEntry(req, "response")
		e.Path, e.Operation, e.Status = req.env.Name+"/data/"+p, "fingerprint", http.StatusOK
		entries = append(entries, e)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	set, err := known.Build(key, list)
	clear(key)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := set.Write(&buf); err != nil {
		return nil, err
	}
	log, err := s.v.Audit()
	if err != nil {
		return nil, err
	}
	if len(entries) > 0 {
		if err := log.WriteAll(context.WithoutCancel(ctx), entries...); err != nil {
			return nil, auditFailed(req.id)
		}
	}
	out := envelope(req, map[string]any{"set": buf.String(), "secrets": len(paths), "values": len(list)})
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: map[string]any{"secrets": len(paths), "values": len(list)}}, nil
}

// readablePaths lists, depth first and sorted, every secret below prefix
// in the request's environment that the caller may read.
func (s *Server) readablePaths(ctx context.Context, req *request, prefix string) ([]string, error) {
	var out []string
	var walk func(prefix string) error
	walk = func(prefix string) error {
		keys, err := req.env.KV.List(ctx, prefix)
		if errors.Is(err, secrets.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range keys {
			if len(out) >= maxFingerprintSecrets {
				return errorf(http.StatusBadRequest, "more than %d secrets in %s; fingerprint sets are bounded", maxFingerprintSecrets, req.env.Name)
			}
			if strings.HasSuffix(k, "/") {
				if err := walk(prefix + k); err != nil {
					return err
				}
				continue
			}
			p := prefix + k
			ok, err := readableWithoutMFA(ctx, req, p, req.acl.Check(req.env.Name+"/"+p, policy.CapRead))
			if err != nil {
				return err
			}
			if ok {
				out = append(out, p)
			}
		}
		return nil
	}
	if err := walk(prefix); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// leaves calls fn with every string leaf of v and its dotted field name
// ("tls.cert", "hosts.0").
func leaves(v any, name string, fn func(field, value string)) {
	switch x := v.(type) {
	case string:
		fn(name, x)
	case map[string]any:
		for k, c := range x {
			leaves(c, join(name, k), fn)
		}
	case []any:
		for i, c := range x {
			leaves(c, join(name, strconv.Itoa(i)), fn)
		}
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
