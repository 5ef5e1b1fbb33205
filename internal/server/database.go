package server

import (
	"context"
	"net/http"
	"time"

	"github.com/wardhq/ward/internal/dbengine"
)

// The database engine of each environment, at ENV/database/ in the shapes
// of Vault's database secrets engine. Policies name these paths as they
// are called: staging/database/creds/app, staging/database/roles/app,
// staging/database/config/main.

var configFields = []string{
	"plugin_name", "connection_url", "allowed_roles", "username", "password",
	"password_length", "password_charset", "password_authentication",
	"max_open_connections", "root_rotation_statements", "verify_connection",
}

func (s *Server) dbConfigWrite(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, configFields...)
	if err != nil {
		return nil, err
	}
	c := dbengine.ConnConfig{
		PluginName:             f.str("plugin_name"),
		ConnectionURL:          f.str("connection_url"),
		AllowedRoles:           f.list("allowed_roles", ","),
		Username:               f.str("username"),
		Password:               f.str("password"),
		PasswordLength:         f.integer("password_length"),
		PasswordCharset:        f.str("password_charset"),
		PasswordAuthentication: f.str("password_authentication"),
		MaxOpenConnections:     f.integer("max_open_connections"),
		RootRotationStatements: f.list("root_rotation_statements", ""),
		VerifyConnection:       f.boolean("verify_connection"),
	}
	if f.err != nil {
		return nil, f.err
	}
	if err := req.env.WriteDatabaseConfig(ctx, req.param("name"), c); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) dbConfigRead(ctx context.Context, req *request) (*response, error) {
	c, err := req.env.ReadDatabaseConfig(ctx, req.param("name"))
	if err != nil {
		return nil, err
	}
	details := map[string]any{
		"connection_url":          c.ConnectionURL,
		"username":                c.Username,
		"max_open_connections":    c.MaxOpenConnections,
		"password_authentication": c.PasswordAuthentication,
	}
	data := map[string]any{
		"plugin_name":                        c.PluginName,
		"connection_details":                 details,
		"allowed_roles":                      c.AllowedRoles,
		"password_length":                    c.PasswordLength,
		"password_charset":                   c.PasswordCharset,
		"root_credentials_rotate_statements": c.RootRotationStatements,
		"verify_connection":                  c.VerifyConnection == nil || *c.VerifyConnection,
	}
	return dbResponse(req, data), nil
}

func (s *Server) dbConfigDelete(ctx context.Context, req *request) (*response, error) {
	if err := req.env.DeleteDatabaseConfig(ctx, req.param("name")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) dbConfigList(ctx context.Context, req *request) (*response, error) {
	keys, err := req.env.ListDatabaseConfigs(ctx)
	return dbList(req, keys, err)
}

func (s *Server) dbRoleWrite(ctx context.Context, req *request) (*response, error) {
	f, err := readFields(req.body, "db_name", "creation_statements", "revocation_statements", "renew_statements", "default_ttl", "max_ttl")
	if err != nil {
		return nil, err
	}
	r := dbengine.Role{
		DBName:               f.str("db_name"),
		CreationStatements:   f.list("creation_statements", ""),
		RevocationStatements: f.list("revocation_statements", ""),
		RenewStatements:      f.list("renew_statements", ""),
		DefaultTTL:           f.duration("default_ttl"),
		MaxTTL:               f.duration("max_ttl"),
	}
	if f.err != nil {
		return nil, f.err
	}
	if err := req.env.WriteDatabaseRole(ctx, req.param("name"), r); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) dbRoleRead(ctx context.Context, req *request) (*response, error) {
	r, err := req.env.ReadDatabaseRole(ctx, req.param("name"))
	if err != nil {
		return nil, err
	}
	return dbResponse(req, map[string]any{
		"db_name":               r.DBName,
		"creation_statements":   r.CreationStatements,
		"revocation_statements": r.RevocationStatements,
		"renew_statements":      r.RenewStatements,
		"default_ttl":           seconds(r.DefaultTTL),
		"max_ttl":               seconds(r.MaxTTL),
	}), nil
}

func (s *Server) dbRoleDelete(ctx context.Context, req *request) (*response, error) {
	if err := req.env.DeleteDatabaseRole(ctx, req.param("name")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) dbRoleList(ctx context.Context, req *request) (*response, error) {
	keys, err := req.env.ListDatabaseRoles(ctx)
	return dbList(req, keys, err)
}

// dbCreds answers creds/NAME with a new user, its password (here only:
// the audit entry HMACs it like every response value) and its lease.
func (s *Server) dbCreds(ctx context.Context, req *request) (*response, error) {
	c, err := req.env.DatabaseCreds(ctx, &req.Caller, req.param("name"))
	if err != nil {
		return nil, err
	}
	req.auditMeta = map[string]string{"lease_id": c.Lease.ID}
	body := dbResponse(req, map[string]any{"username": c.Username, "password": c.Password}).body.(map[string]any)
	body["lease_id"] = c.Lease.ID
	body["lease_duration"] = seconds(c.Lease.ExpiresAt.Sub(c.Lease.IssuedAt))
	body["renewable"] = c.Lease.Renewable
	body["warnings"] = warnings(c.Warnings)
	return &response{status: http.StatusOK, body: body}, nil
}

func (s *Server) dbRotateRoot(ctx context.Context, req *request) (*response, error) {
	if err := req.env.RotateDatabaseRoot(ctx, req.param("name")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func dbResponse(req *request, data map[string]any) *response {
	body := envelope(req, data)
	body["mount_type"] = "database"
	return &response{status: http.StatusOK, body: body}
}

func dbList(req *request, keys []string, err error) (*response, error) {
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errNotFound
	}
	return dbResponse(req, map[string]any{"keys": keys}), nil
}

// seconds is d in whole seconds, rounded to the nearest.
func seconds(d time.Duration) int64 { return int64(d.Round(time.Second) / time.Second) }

// warnings is nil (JSON null, as Vault sends) for none.
func warnings(w []string) any {
	if len(w) == 0 {
		return nil
	}
	return w
}
