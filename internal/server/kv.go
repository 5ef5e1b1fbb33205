package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
)

// secretCreateOrUpdate decides, from whether the secret exists, which
// capability a write needs.
func secretCreateOrUpdate(ctx context.Context, _ *Server, req *request) (policy.Capability, error) {
	ok, err := req.env.SecretExists(ctx, req.param("path"))
	switch {
	case err != nil:
		return "", err
	case ok:
		return policy.CapUpdate, nil
	}
	return policy.CapCreate, nil
}

func envelope(req *request, data any) map[string]any {
	return map[string]any{
		"request_id":     req.id,
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data":           data,
		"wrap_info":      nil,
		"warnings":       nil,
		"auth":           nil,
		"mount_type":     "kv",
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func customMetadata(m map[string]string) any {
	if m == nil {
		return nil
	}
	return m
}

func versionJSON(vm secrets.VersionMetadata) map[string]any {
	b := versionBody(vm)
	return b.auditMap()
}

func versionBody(vm secrets.VersionMetadata) kvVersionBody {
	return kvVersionBody{CreatedTime: formatTime(vm.CreatedTime), CustomMetadata: vm.CustomMetadata,
		DeletionTime: formatTime(vm.DeletionTime), Destroyed: vm.Destroyed, Version: vm.Version}
}

func (s *Server) kvRead(ctx context.Context, req *request) (*response, error) {
	version := 0
	if v := req.query.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errorf(http.StatusBadRequest, "version must be a non-negative integer")
		}
		version = n
	}
	ver, err := req.env.ReadSecretBy(ctx, req.param("path"), version, req.Token.DisplayName, req.Token.Accessor)
	if ver != nil && ver.Data == nil {
		// A deleted or destroyed version: Vault answers 404 with its metadata.
		return &response{status: http.StatusNotFound, body: envelope(req, map[string]any{"data": nil, "metadata": versionJSON(ver.Metadata)})}, nil
	}
	if err != nil {
		return nil, err
	}
	if !json.Valid(ver.Data) {
		return nil, errors.New("the stored value is not JSON")
	}
	// The audit entry records the value as its decoded map would be, from
	// the text itself: decoding it into maps only to redact them cost a
	// read more than the HMACs did.
	body := newKVReadBody(req.id, ver.Data, ver.Metadata)
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"data": audit.JSON(ver.Data), "metadata": body.Data.Metadata.auditMap()}}, nil
}

// auditMap is the version's metadata as a map, as the audit log and the
// responses built from maps take it.
func (m *kvVersionBody) auditMap() map[string]any {
	return map[string]any{
		"version":         m.Version,
		"created_time":    m.CreatedTime,
		"deletion_time":   m.DeletionTime,
		"destroyed":       m.Destroyed,
		"custom_metadata": customMetadata(m.CustomMetadata),
	}
}

func newKVReadBody(id string, data json.RawMessage, vm secrets.VersionMetadata) *kvReadBody {
	b := &kvReadBody{RequestID: id, MountType: "kv"}
	b.Data.Data = data
	b.Data.Metadata = versionBody(vm)
	return b
}

// kvReadBody is envelope(req, {"data": ..., "metadata": versionJSON(...)})
// as a struct: the same JSON, members in the order a map's are written
// (sorted), encoded without building and sorting maps on every read.
type kvReadBody struct {
	Auth any `json:"auth"`
	Data struct {
		Data     json.RawMessage `json:"data"`
		Metadata kvVersionBody   `json:"metadata"`
	} `json:"data"`
	LeaseDuration int    `json:"lease_duration"`
	LeaseID       string `json:"lease_id"`
	MountType     string `json:"mount_type"`
	Renewable     bool   `json:"renewable"`
	RequestID     string `json:"request_id"`
	Warnings      any    `json:"warnings"`
	WrapInfo      any    `json:"wrap_info"`
}

// kvVersionBody is versionJSON's map as a struct; a nil CustomMetadata
// is null, as customMetadata makes it.
type kvVersionBody struct {
	CreatedTime    string            `json:"created_time"`
	CustomMetadata map[string]string `json:"custom_metadata"`
	DeletionTime   string            `json:"deletion_time"`
	Destroyed      bool              `json:"destroyed"`
	Version        int               `json:"version"`
}

// kvWriteBody is the body of a KV v2 write or patch.
type kvWriteBody struct {
	Data    json.RawMessage `json:"data"`
	Options struct {
		CAS *int `json:"cas"`
	} `json:"options"`
}

func parseWriteBody(req *request) (*kvWriteBody, error) {
	var body kvWriteBody
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if len(body.Data) == 0 || string(body.Data) == "null" {
		return nil, errorf(http.StatusBadRequest, `no data provided; send {"data": {...}}`)
	}
	if body.Data[0] != '{' {
		return nil, errorf(http.StatusBadRequest, `"data" must be a JSON object`)
	}
	return &body, nil
}

func (s *Server) kvWrite(ctx context.Context, req *request) (*response, error) {
	body, err := parseWriteBody(req)
	if err != nil {
		return nil, err
	}
	vm, err := req.env.PutSecret(ctx, req.param("path"), body.Data, body.Options.CAS)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: envelope(req, versionJSON(vm))}, nil
}

func (s *Server) kvPatch(ctx context.Context, req *request) (*response, error) {
	if ct := req.http.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/merge-patch+json") {
		return nil, errorf(http.StatusUnsupportedMediaType, "PATCH needs Content-Type: application/merge-patch+json")
	}
	body, err := parseWriteBody(req)
	if err != nil {
		return nil, err
	}
	vm, err := req.env.PatchSecret(ctx, req.param("path"), body.Data, body.Options.CAS)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: envelope(req, versionJSON(vm))}, nil
}

func (s *Server) kvDeleteLatest(ctx context.Context, req *request) (*response, error) {
	if err := req.env.DeleteLatest(ctx, req.param("path")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) kvDeleteVersions(ctx context.Context, req *request) (*response, error) {
	return s.kvVersions(ctx, req, "delete")
}

func (s *Server) kvUndelete(ctx context.Context, req *request) (*response, error) {
	return s.kvVersions(ctx, req, "undelete")
}

func (s *Server) kvDestroy(ctx context.Context, req *request) (*response, error) {
	return s.kvVersions(ctx, req, "destroy")
}

func (s *Server) kvVersions(ctx context.Context, req *request, kind string) (*response, error) {
	var body struct {
		Versions versionList `json:"versions"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if len(body.Versions) == 0 {
		return nil, errorf(http.StatusBadRequest, `no versions provided; send {"versions": [1, 2]}`)
	}
	env, p := req.env, req.param("path")
	var err error
	switch kind {
	case "delete":
		err = env.DeleteVersions(ctx, p, []int(body.Versions))
	case "undelete":
		err = env.UndeleteVersions(ctx, p, []int(body.Versions))
	case "destroy":
		err = env.DestroyVersions(ctx, p, []int(body.Versions))
	}
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) kvList(ctx context.Context, req *request) (*response, error) {
	prefix := req.param("prefix")
	keys, err := req.env.ListSecrets(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errNotFound
	}
	return &response{status: http.StatusOK, body: envelope(req, map[string]any{"keys": keys})}, nil
}

func (s *Server) kvMetadataRead(ctx context.Context, req *request) (*response, error) {
	md, err := req.env.SecretMetadata(ctx, req.param("path"))
	if err != nil {
		return nil, err
	}
	versions := make(map[string]any, len(md.Versions))
	for n, vm := range md.Versions {
		versions[strconv.Itoa(n)] = map[string]any{
			"created_time":  formatTime(vm.CreatedTime),
			"deletion_time": formatTime(vm.DeletionTime),
			"destroyed":     vm.Destroyed,
		}
	}
	data := map[string]any{
		"cas_required":         md.CASRequired,
		"created_time":         formatTime(md.CreatedTime),
		"updated_time":         formatTime(md.UpdatedTime),
		"current_version":      md.CurrentVersion,
		"oldest_version":       md.OldestVersion,
		"max_versions":         md.MaxVersions,
		"delete_version_after": md.DeleteVersionAfter.String(),
		"custom_metadata":      customMetadata(md.CustomMetadata),
		"versions":             versions,
	}
	return &response{status: http.StatusOK, body: envelope(req, data)}, nil
}

// durationField accepts a Go duration string ("3h", "0s") or a number of
// seconds, as Vault does.
type durationField struct {
	d   time.Duration
	set bool
}

func (f *durationField) UnmarshalJSON(b []byte) error {
	f.set = true
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s == "" {
			f.d = 0
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			if n, nerr := strconv.ParseInt(s, 10, 64); nerr == nil {
				f.d = time.Duration(n) * time.Second
				return nil
			}
			return errors.New("a duration must look like 90s, 15m or 2h")
		}
		f.d = d
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("a duration must be a string like 15m or a number of seconds")
	}
	f.d = time.Duration(n) * time.Second
	return nil
}

func (s *Server) kvMetadataWrite(ctx context.Context, req *request) (*response, error) {
	var body struct {
		MaxVersions        *int              `json:"max_versions"`
		CASRequired        *bool             `json:"cas_required"`
		DeleteVersionAfter durationField     `json:"delete_version_after"`
		CustomMetadata     map[string]string `json:"custom_metadata"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	u := secrets.MetadataUpdate{MaxVersions: body.MaxVersions, CASRequired: body.CASRequired, CustomMetadata: body.CustomMetadata}
	if body.DeleteVersionAfter.set {
		u.DeleteVersionAfter = &body.DeleteVersionAfter.d
	}
	if err := req.env.SetSecretMetadata(ctx, req.param("path"), u); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) kvMetadataDelete(ctx context.Context, req *request) (*response, error) {
	if err := req.env.DestroySecret(ctx, req.param("path")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) kvConfigRead(ctx context.Context, req *request) (*response, error) {
	c, err := req.env.KVConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: envelope(req, map[string]any{
		"max_versions":         c.MaxVersions,
		"cas_required":         c.CASRequired,
		"delete_version_after": c.DeleteVersionAfter.String(),
	})}, nil
}

func (s *Server) kvConfigWrite(ctx context.Context, req *request) (*response, error) {
	var body struct {
		MaxVersions        *int          `json:"max_versions"`
		CASRequired        *bool         `json:"cas_required"`
		DeleteVersionAfter durationField `json:"delete_version_after"`
	}
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	c, err := req.env.KVConfig(ctx)
	if err != nil {
		return nil, err
	}
	if body.MaxVersions != nil {
		c.MaxVersions = *body.MaxVersions
	}
	if body.CASRequired != nil {
		c.CASRequired = *body.CASRequired
	}
	if body.DeleteVersionAfter.set {
		c.DeleteVersionAfter = body.DeleteVersionAfter.d
	}
	if err := req.env.SetKVConfig(ctx, c); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}
