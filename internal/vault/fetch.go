package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/scan/known"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/types"
)

// ErrAudit is wrapped by the error of a domain method that could not write
// its audit entries: nothing was answered.
var ErrAudit = errors.New("the audit log cannot be written")

// MaxFetchPaths bounds one batched fetch.
const MaxFetchPaths = 256

// MaxFingerprintSecrets bounds the secrets one fingerprint set covers.
const MaxFingerprintSecrets = 10000

// Fetch statuses, per secret.
const (
	FetchOK       = "ok"
	FetchNotFound = "not_found"
	FetchDeleted  = "deleted"
	FetchRetired  = "retired" // retired for good (ward kv retire): Error holds its tombstone's who, when and why
	FetchDenied   = "denied"
	FetchError    = "error"
)

// FetchResult is one secret of a batched fetch.
type FetchResult struct {
	Path   string // canonical when it could be made so
	Status string // FetchOK, FetchNotFound, FetchDeleted, FetchDenied, FetchError
	Error  string // public: why not ok
	Data   json.RawMessage
	// Version is the current version's metadata, for ok and deleted.
	Version        *secrets.VersionMetadata
	CustomMetadata map[string]string
	// MFARequired: denied for want of a TOTP code that the fetch could carry.
	MFARequired bool
	// TypeProblems are the rules the value breaks of the type the caller
	// asked it be checked against; empty when it conforms or none was asked.
	TypeProblems []types.Problem
	// Fields is the value decoded, for the response's audit entry, which
	// HMACs every leaf.
	Fields map[string]any
}

// Fetch reads the current version of many secrets of env for c, as `ward
// check` and `ward run` need. Each secret is checked on its own: read in
// c's policy, step-up MFA where a rule or break-glass demands it (one code
// serves the whole fetch), and, when typeOf names a type for its path, its
// value against that type. Each leaves its own read entries in the audit
// log, all written before anything is answered (an error wrapping
// ErrAudit otherwise). A missing or denied secret is a result, not an
// error of the whole fetch.
func (v *Vault) Fetch(ctx context.Context, c *Caller, env *Env, paths []string, typeOf map[string]string) ([]FetchResult, error) {
	switch {
	case len(paths) == 0:
		return nil, refuse(KindInvalid, `no paths; send {"paths": ["payments/db", ...]}`)
	case len(paths) > MaxFetchPaths:
		return nil, refuse(KindInvalid, "%d paths in one fetch; the limit is %d", len(paths), MaxFetchPaths)
	}
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	results := make([]FetchResult, len(paths))
	entries := make([]*audit.Entry, 0, 2*len(paths))
	for i, raw := range paths {
		r := v.fetchOne(ctx, c, env, raw)
		if want := typeOf[raw]; want != "" && r.Status == FetchOK {
			r.TypeProblems = v.typeProblems(env.Name, r.Path, want, r.Fields)
		}
		results[i] = r
		path := env.Name + "/data/" + r.Path
		reqE := c.Entry("request", path, string(policy.CapRead), env)
		respE := c.Entry("response", path, string(policy.CapRead), env)
		respE.Status, respE.Error = fetchStatusCode(r.Status), r.Error
		entries = append(entries, reqE, respE)
	}
	// Each secret's read is in the log before any of them is answered.
	if err := u.audit.WriteAll(context.WithoutCancel(ctx), entries...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	return results, nil
}

func (v *Vault) fetchOne(ctx context.Context, c *Caller, env *Env, raw string) FetchResult {
	r := FetchResult{Path: raw}
	p, err := policy.CanonicalPath(raw)
	if err != nil || p == "" || p[len(p)-1] == '/' {
		r.Status, r.Error = FetchError, "invalid secret path"
		if err != nil {
			r.Error = err.Error()
		}
		return r
	}
	r.Path = p
	ppath := env.Name + "/" + p
	d := c.ACL.Check(ppath, policy.CapRead)
	if !d.Allowed {
		r.Status, r.Error = FetchDenied, fmt.Sprintf("permission denied: read on %s", ppath)
		return r
	}
	if err := v.StepUp(ctx, c, Target{Cap: policy.CapRead, PolicyPath: ppath, Env: env, Secret: p, View: "data"}, d); err != nil {
		var rf *Refusal
		if !errors.As(err, &rf) {
			r.Status, r.Error = FetchError, "the step-up check failed"
			return r
		}
		r.Status, r.Error, r.MFARequired = FetchDenied, rf.Msg, rf.Prompt
		return r
	}
	ver, err := env.kv.Get(ctx, p, 0)
	switch {
	case ver != nil && ver.Data == nil:
		r.Status, r.Error, r.Version = FetchDeleted, "the current version is deleted or destroyed", &ver.Metadata
		return r
	case errors.Is(err, secrets.ErrNotFound):
		r.Status, r.Error = FetchNotFound, "no secret at this path"
		if t, terr := env.Tombstone(ctx, p); terr == nil && t != nil {
			r.Status, r.Error = FetchRetired, (&RetiredError{Tombstone: t}).Error()
		}
		return r
	case err != nil:
		r.Status, r.Error = FetchError, publicError(err)
		return r
	}
	json.Unmarshal(ver.Data, &r.Fields)
	r.Status, r.Data, r.Version = FetchOK, ver.Data, &ver.Metadata
	if c.Token != nil {
		v.RecordReadBy(env, p, c.Token.DisplayName, c.Token.Accessor, ver.Metadata.Version)
	}
	if md, err := env.kv.Metadata(ctx, p); err == nil {
		r.CustomMetadata = md.CustomMetadata
	}
	return r
}

// publicError is the text of an error from reading one secret, for a
// fetch result: ward's own messages are public; a failed decryption says
// what it means.
func publicError(err error) string {
	switch {
	case errors.Is(err, ErrSealed):
		return "ward is sealed"
	case errors.Is(err, barrier.ErrDecrypt), errors.Is(err, barrier.ErrNoEnvKey):
		return "stored data failed authentication; it has been changed or moved outside ward"
	case errors.Is(err, secrets.ErrInvalidPath), errors.Is(err, secrets.ErrInvalidValue), errors.Is(err, secrets.ErrTooLarge):
		return err.Error()
	}
	return http.StatusText(http.StatusInternalServerError)
}

// typeProblems checks a fetched secret's fields against type name.
func (v *Vault) typeProblems(env, path, name string, data map[string]any) []types.Problem {
	t, err := v.Type(name)
	if err != nil {
		return []types.Problem{{Rule: "type", Message: fmt.Sprintf("type %q is not registered on this server ('ward type list' shows those that are)", name)}}
	}
	var ve *types.ValidationError
	if err := t.Validate(env, path, data); errors.As(err, &ve) {
		return ve.Problems
	} else if err != nil {
		return []types.Problem{{Rule: "type", Message: "could not be checked against the type"}}
	}
	return nil
}

func fetchStatusCode(status string) int {
	switch status {
	case FetchOK:
		return http.StatusOK
	case FetchDenied:
		return http.StatusForbidden
	case FetchNotFound, FetchDeleted:
		return http.StatusNotFound
	case FetchRetired:
		return http.StatusGone
	case FetchError:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Fingerprints builds a fingerprint set (see package known) of every
// secret of env that c may read without a TOTP code, for `ward scan
// --known`, which finds them in logs and artifacts without ever holding a
// value. Each secret it covers leaves a "fingerprint" entry in the audit
// log, written before the set is returned. It answers the set in its wire
// form, and how many secrets and values it covers.
func (v *Vault) Fingerprints(ctx context.Context, c *Caller, env *Env) (set string, nSecrets, nValues int, err error) {
	u, err := v.state()
	if err != nil {
		return "", 0, 0, err
	}
	paths, err := v.readablePaths(ctx, c, env)
	if err != nil {
		return "", 0, 0, err
	}
	var list []known.Secret
	entries := make([]*audit.Entry, 0, len(paths))
	for _, p := range paths {
		ver, err := env.kv.Get(ctx, p, 0)
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
		e := c.Entry("response", env.Name+"/data/"+p, "fingerprint", env)
		e.Status = http.StatusOK
		entries = append(entries, e)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", 0, 0, err
	}
	fs, err := known.Build(key, list)
	clear(key)
	if err != nil {
		return "", 0, 0, err
	}
	var buf bytes.Buffer
	if err := fs.Write(&buf); err != nil {
		return "", 0, 0, err
	}
	if len(entries) > 0 {
		if err := u.audit.WriteAll(context.WithoutCancel(ctx), entries...); err != nil {
			return "", 0, 0, fmt.Errorf("%w: %w", ErrAudit, err)
		}
	}
	return buf.String(), len(paths), len(list), nil
}

// readablePaths lists, sorted, every secret of env that c may read
// without a TOTP code: a fingerprint set, which cannot carry a code,
// leaves out what needs one.
func (v *Vault) readablePaths(ctx context.Context, c *Caller, env *Env) ([]string, error) {
	var out []string
	err := v.WalkEnv(ctx, env, func(s SecretInfo) error {
		if len(out) >= MaxFingerprintSecrets {
			return refuse(KindInvalid, "more than %d secrets in %s; fingerprint sets are bounded", MaxFingerprintSecrets, env.Name)
		}
		d := c.ACL.Check(env.Name+"/"+s.Path, policy.CapRead)
		switch {
		case !d.Allowed:
		case c.Token.IsRoot():
			out = append(out, s.Path)
		case d.MFA, s.Metadata.CustomMetadata[BreakGlassKey] == "true":
		default:
			out = append(out, s.Path)
		}
		return nil
	})
	if err != nil {
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

// ExpiringFor lists the secrets past or near expiry or rotation (within
// the window) across the environments c's token reaches (every one for a
// root token), keeping those its policy lets it list (list on the secret's
// folder) or read.
func (v *Vault) ExpiringFor(ctx context.Context, c *Caller, within time.Duration) ([]Expiring, error) {
	var envs []*Env
	if c.Token.IsRoot() {
		all, err := v.Envs()
		if err != nil {
			return nil, err
		}
		envs = all
	} else if e, err := v.Env(c.Token.Env); err == nil && e.ID == c.Token.EnvID {
		envs = []*Env{e}
	}
	found, err := v.ExpiringSecrets(ctx, envs, within)
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, e := range found {
		p := e.Env + "/" + e.Path
		folder := e.Env + "/"
		if i := strings.LastIndex(e.Path, "/"); i >= 0 {
			folder += e.Path[:i+1]
		}
		if c.ACL.Check(folder, policy.CapList).Allowed || c.ACL.Check(p, policy.CapRead).Allowed {
			out = append(out, e)
		}
	}
	return out, nil
}
