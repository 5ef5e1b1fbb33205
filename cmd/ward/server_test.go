package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/server"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/vault"
)

// testServer runs a real ward server in this process (in memory, unsealed,
// with the environments dev, staging and prod) and returns a client with
// its root token.
func testServer(t *testing.T) *client.Client {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Open(vault.Config{Storage: memory.New(), AuditPath: filepath.Join(t.TempDir(), "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	root, err := devUnseal(ctx, v, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{Vault: v, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(func() { srv.Close(); v.Close() })
	c, err := client.New(client.Config{Address: srv.URL, Token: root})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
