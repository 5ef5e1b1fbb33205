package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/auth/jwtauth/oidctest"
)

// jwtServer runs a real ward server (in memory) with the JWT method set up
// against a local issuer: role ci-staging accepts audience "ward" from
// repository 74 into staging.
func jwtServer(t *testing.T) (*client.Client, *oidctest.Issuer) {
	t.Helper()
	ctx := context.Background()
	root := testServer(t)
	iss := oidctest.New()
	t.Cleanup(iss.Close)
	for _, step := range []struct {
		path string
		body map[string]any
	}{
		{"auth/jwt/config", map[string]any{"oidc_discovery_url": iss.URL}},
		{"auth/jwt/role/ci-staging", map[string]any{"bound_audiences": []string{"ward"}, "bound_claims": map[string]any{"repository_id": "74"}, "token_policies": []string{"ci"}, "environment": "staging"}},
	} {
		if err := root.Do(ctx, "POST", step.path, step.body, nil); err != nil {
			t.Fatalf("%s: %v", step.path, err)
		}
	}
	return root.WithToken(""), iss
}

// githubTokenService is GitHub Actions' token service as a runner sees it.
func githubTokenService(t *testing.T, iss *oidctest.Issuer, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer runner-request-token" || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		if status != 200 {
			http.Error(w, "no", status)
			return
		}
		jwt := iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: r.URL.Query().Get("audience")}))
		w.Write([]byte(`{"count":1,"value":"` + jwt + `"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoginCI(t *testing.T) {
	c, iss := jwtServer(t)
	gh := githubTokenService(t, iss, 200)
	ghDown := githubTokenService(t, iss, 403)
	gitlabJWT := iss.Sign(func() map[string]any {
		cl := iss.GitLab(oidctest.GitLabJob{Audience: "ward"})
		cl["repository_id"] = "74" // the role binds GitHub's claim; this test only checks the transport
		return cl
	}())
	jwtFile := filepath.Join(t.TempDir(), "oidc")
	os.WriteFile(jwtFile, []byte(iss.Sign(iss.GitHub(oidctest.GitHubJob{Audience: "ward"}))+"\n"), 0o600)
	tests := []struct {
		name    string
		o       loginCIOptions
		env     map[string]string
		wantErr string
	}{
		{"github", loginCIOptions{}, map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token"}, ""},
		{"github with another audience", loginCIOptions{Audience: "https://elsewhere"}, map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token"}, "aud does not contain"},
		{"github refuses", loginCIOptions{}, map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": ghDown.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token"}, "HTTP 403"},
		{"github without request token", loginCIOptions{}, map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0"}, "id-token: write"},
		{"github without permission", loginCIOptions{}, map[string]string{"GITHUB_ACTIONS": "true"}, "id-token: write"},
		{"gitlab", loginCIOptions{}, map[string]string{"WARD_ID_TOKEN": gitlabJWT, "GITLAB_CI": "true"}, ""},
		{"gitlab without id_tokens", loginCIOptions{}, map[string]string{"GITLAB_CI": "true"}, "id_tokens"},
		{"jwt file", loginCIOptions{JWTFile: jwtFile}, nil, ""},
		{"jwt file missing", loginCIOptions{JWTFile: jwtFile + ".nope"}, nil, "no such file"},
		{"nothing", loginCIOptions{}, nil, "no CI identity found"},
		{"wrong role", loginCIOptions{Role: "ci-prod", JWTFile: jwtFile}, nil, `role "ci-prod" could not be found`},
		{"no role", loginCIOptions{Role: "-", JWTFile: jwtFile}, nil, "missing --role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			switch o.Role {
			case "":
				o.Role = "ci-staging"
			case "-":
				o.Role = ""
			}
			o.Client, o.Getenv = c, envMap(tt.env)
			tok, err := loginCI(context.Background(), testGlobals(nil, io.Discard, io.Discard), o)
			if tt.wantErr == "" {
				if err != nil || !strings.HasPrefix(tok, "ward_") {
					t.Fatalf("got %q, %v", tok, err)
				}
				info, err := c.WithToken(tok).LookupSelf(context.Background())
				if err != nil || info.Env != "staging" {
					t.Fatalf("lookup of the CI token: %+v %v", info, err)
				}
				return
			}
			if err == nil {
				t.Fatal("logged in")
			}
			msg := err.Error()
			var h *hintError
			if errors.As(err, &h) {
				msg += " " + h.hint
			}
			if !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("error %q does not say %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, gitlabJWT[:40]) || strings.Contains(msg, "runner-request-token") {
				t.Fatalf("error %q holds a token", msg)
			}
		})
	}
}
