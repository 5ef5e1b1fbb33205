package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardhq/ward/bench/internal/devserver"
	"github.com/wardhq/ward/client"
)

// httpTarget is ward as a user gets it (-http): a `ward dev` of its own,
// built from this checkout, with bbolt storage and the audit log on,
// driven over keep-alive HTTP by one token per client, as many CI jobs
// would be, in an environment named like the domain mode's.
type httpTarget struct {
	tmp    string
	srv    *devserver.Server
	root   *client.Client
	tokens []*client.Client // one per client
	env    string
}

// newHTTPTarget builds ward, starts `ward dev` (with -cpuprofile, profiling
// itself until it stops) and writes the config and role through the API.
// conn is the connection_url with {{username}}/{{password}}.
func newHTTPTarget(ctx context.Context, env string, clients int, conn, admin, adminPw string, creation []string, profile string) (*httpTarget, error) {
	tmp, err := os.MkdirTemp("", "dbcreds-http-")
	if err != nil {
		return nil, err
	}
	t := &httpTarget{tmp: tmp, env: env}
	ward := filepath.Join(tmp, "ward")
	if err := devserver.Build("", "./cmd/ward", ward); err != nil {
		t.close()
		return nil, fmt.Errorf("%v(run from the repository root)", err)
	}
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.close()
		return nil, err
	}
	var args []string
	if profile != "" {
		if profile, err = filepath.Abs(profile); err != nil {
			t.close()
			return nil, err
		}
		args = []string{"--cpuprofile", profile}
	}
	if t.srv, err = devserver.Start(ward, filepath.Join(tmp, "data"), home, args...); err != nil {
		t.close()
		return nil, err
	}
	token, err := t.srv.Token()
	if err != nil {
		t.close()
		return nil, err
	}
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 4 * clients}}
	if t.root, err = client.New(client.Config{Address: t.srv.Addr, Token: token, HTTPClient: hc, MaxRetries: -1}); err != nil {
		t.close()
		return nil, err
	}
	steps := []struct {
		path string
		body map[string]any
	}{
		// An environment of the run's own, so that user names never meet
		// another run's.
		{"sys/ward/envs/" + t.env, map[string]any{}},
		{t.env + "/database/config/main", map[string]any{
			"plugin_name": "postgresql-database-plugin", "connection_url": conn, "allowed_roles": "app",
			"username": admin, "password": adminPw, "max_open_connections": clients,
		}},
		{t.env + "/database/roles/app", map[string]any{
			"db_name": "main", "creation_statements": creation, "default_ttl": "1h", "max_ttl": "24h",
		}},
		{"sys/policies/acl/dbcreds", map[string]any{
			"policy": "rules:\n  - path: " + t.env + "/database/creds/app\n    capabilities: [read]\n",
		}},
	}
	for _, s := range steps {
		if err := t.root.Do(ctx, "PUT", s.path, s.body, nil); err != nil {
			t.close()
			return nil, fmt.Errorf("writing %s: %w", s.path, err)
		}
	}
	// 64 tokens: the revoke rounds spread their leases over them, as in
	// the domain mode, and no token comes near its quota of 1,000.
	for range 64 {
		var out struct {
			Auth struct {
				ClientToken string `json:"client_token"`
			} `json:"auth"`
		}
		if err := t.root.Do(ctx, "POST", "auth/token/create", map[string]any{"env": t.env, "policies": []string{"dbcreds"}, "ttl": "4h"}, &out); err != nil {
			t.close()
			return nil, fmt.Errorf("making a token: %w", err)
		}
		t.tokens = append(t.tokens, t.root.WithToken(out.Auth.ClientToken))
	}
	return t, nil
}

func (t *httpTarget) issue(ctx context.Context, client int) error {
	return t.tokens[client%len(t.tokens)].Do(ctx, "GET", t.env+"/database/creds/app", nil, nil)
}

func (t *httpTarget) revokePrefix(ctx context.Context) (int, error) {
	// Vault's revoke-prefix answers 204 without a count: the caller
	// counts the users left in pg_roles.
	return -1, t.root.Do(ctx, "PUT", "sys/leases/revoke-prefix/"+t.env+"/database/creds/app", nil, nil)
}

func (t *httpTarget) userPrefix() string { return "v-" + t.env + "-app-" }

func (t *httpTarget) close() {
	if t.srv != nil {
		if t.root != nil {
			t.revokePrefix(context.Background())
		}
		t.srv.Stop()
	}
	os.RemoveAll(t.tmp)
}

// describe is the mode's line in the header.
func (t *httpTarget) describe() string {
	return "over HTTP to ward dev " + strings.TrimPrefix(t.srv.Addr, "http://")
}
