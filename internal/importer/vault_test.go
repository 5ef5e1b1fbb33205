package importer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVault answers the KV v2 paths an import reads, as Vault and OpenBao
// shape them, and checks that every request carries the token.
func fakeVault(t *testing.T, answers map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("X-Vault-Token") != "s.token" {
			http.Error(w, `{"errors":["permission denied"]}`, http.StatusForbidden)
			return
		}
		key := r.URL.Path
		if r.URL.Query().Get("list") == "true" {
			key = "LIST " + key
		}
		body, ok := answers[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":[]}`))
			return
		}
		if strings.HasPrefix(body, "404 ") {
			w.WriteHeader(http.StatusNotFound)
			body = body[4:]
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFromVault(t *testing.T) {
	srv := fakeVault(t, map[string]string{
		"LIST /v1/kv/metadata/app":     `{"data":{"keys":["db","old","sub/"]}}`,
		"LIST /v1/kv/metadata/app/sub": `{"data":{"keys":["api"]}}`,
		"/v1/kv/data/app/db":           `{"data":{"data":{"password":"p1","port":5432},"metadata":{"version":3}}}`,
		"/v1/kv/metadata/app/db":       `{"data":{"custom_metadata":{"owner":"payments"},"current_version":3}}`,
		"/v1/kv/data/app/old":          `404 {"data":{"data":null,"metadata":{"deletion_time":"2026-01-01T00:00:00Z"}}}`,
		"/v1/kv/metadata/app/old":      `{"data":{"custom_metadata":null}}`,
		"/v1/kv/data/app/sub/api":      `{"data":{"data":{"key":"k1"}}}`,
		"/v1/kv/metadata/app/sub/api":  `{"data":{"custom_metadata":null}}`,
	})
	c := &VaultClient{Addr: srv.URL, Token: "s.token"}
	secrets, skipped, err := FromVault(context.Background(), c, "/kv/", "app")
	if err != nil {
		t.Fatal(err)
	}
	want := []Secret{
		{Path: "app/db", Data: map[string]any{"password": "p1", "port": json.Number("5432")}, Custom: map[string]string{"owner": "payments"}},
		{Path: "app/sub/api", Data: map[string]any{"key": "k1"}},
	}
	if !reflect.DeepEqual(secrets, want) {
		t.Errorf("secrets = %#v\nwant %#v", secrets, want)
	}
	if !reflect.DeepEqual(skipped, []string{"app/old"}) {
		t.Errorf("skipped = %q, want app/old", skipped)
	}

	// A prefix that names one secret rather than a folder.
	secrets, _, err = FromVault(context.Background(), c, "kv", "app/sub/api")
	if err != nil || len(secrets) != 1 || secrets[0].Path != "app/sub/api" {
		t.Errorf("one secret as the prefix: %v, %+v", err, secrets)
	}
}

func TestFromVaultRefuses(t *testing.T) {
	tests := []struct {
		name    string
		answers map[string]string
		token   string
		want    string
	}{
		{"wrong token", nil, "other", "permission denied"},
		{"malformed key", map[string]string{"LIST /v1/kv/metadata": `{"data":{"keys":["a/b"]}}`}, "s.token", "malformed key"},
		{"dot-dot key", map[string]string{"LIST /v1/kv/metadata": `{"data":{"keys":["../"]}}`}, "s.token", "malformed key"},
		{"not JSON", map[string]string{"LIST /v1/kv/metadata": `<html>`}, "s.token", "not a JSON object"},
		{"custom metadata not a string", map[string]string{
			"LIST /v1/kv/metadata": `{"data":{"keys":["a"]}}`,
			"/v1/kv/data/a":        `{"data":{"data":{"x":"1"}}}`,
			"/v1/kv/metadata/a":    `{"data":{"custom_metadata":{"n":1}}}`,
		}, "s.token", `custom metadata "n" is not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeVault(t, tt.answers)
			_, _, err := FromVault(context.Background(), &VaultClient{Addr: srv.URL, Token: tt.token}, "kv", "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestVaultClientStatus(t *testing.T) {
	srv := fakeVault(t, nil)
	_, _, err := FromVault(context.Background(), &VaultClient{Addr: srv.URL, Token: "bad"}, "kv", "")
	var ve *VaultError
	if !errors.As(err, &ve) || ve.StatusCode != http.StatusForbidden {
		t.Fatalf("err = %v, want a *VaultError with status 403", err)
	}
	for _, addr := range []string{"", "vault.example.com", "ftp://x", "http://"} {
		if _, _, err := FromVault(context.Background(), &VaultClient{Addr: addr, Token: "s.token"}, "kv", ""); err == nil || !strings.Contains(err.Error(), "not an http") {
			t.Errorf("address %q: err = %v", addr, err)
		}
	}
}

func TestVaultClientBoundsErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string][]string{"errors": {strings.Repeat("e", 10000), "2", "3", "4", "5", "6", "7"}})
	}))
	defer srv.Close()
	_, _, err := FromVault(context.Background(), &VaultClient{Addr: srv.URL, Token: "t"}, "kv", "")
	var ve *VaultError
	if !errors.As(err, &ve) || len(ve.Errors) != 5 || len(ve.Errors[0]) > 310 || len(err.Error()) > 400 {
		t.Fatalf("err = %.500v; want at most 5 short messages", err)
	}
}

func TestVaultClientRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, `{"errors":["standby"]}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"data":{"keys":[]}}`))
	}))
	defer srv.Close()
	c := &VaultClient{Addr: srv.URL, Token: "t", Retries: 2, RetryWait: time.Microsecond}
	if _, _, err := FromVault(context.Background(), c, "kv", ""); err != nil || calls.Load() != 3 {
		t.Fatalf("after two 503s: err = %v, %d requests; want success on the third", err, calls.Load())
	}
	calls.Store(0)
	c.Retries = 1
	_, _, err := FromVault(context.Background(), c, "kv", "")
	var ve *VaultError
	if !errors.As(err, &ve) || ve.StatusCode != http.StatusServiceUnavailable || calls.Load() != 2 {
		t.Fatalf("one retry: err = %v after %d requests; want the 503 after 2", err, calls.Load())
	}
}

func TestVaultClientBoundsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":{"keys":["`))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range maxVaultResponse>>20 + 1 {
			w.Write(chunk)
		}
	}))
	defer srv.Close()
	_, _, err := FromVault(context.Background(), &VaultClient{Addr: srv.URL, Token: "t"}, "kv", "")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want the answer refused as too large", err)
	}
}
