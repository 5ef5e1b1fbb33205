package main

import (
	"context"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
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
	c, _ := startTestServer(t, false)
	return c
}

// testServerTLS is testServer over TLS with a certificate of its own CA
// (httptest's), whose PEM file it returns; the client trusts that CA.
func testServerTLS(t *testing.T) (*client.Client, string) {
	t.Helper()
	return startTestServer(t, true)
}

func startTestServer(t *testing.T, withTLS bool) (*client.Client, string) {
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
	srv := httptest.NewUnstartedServer(server.New(server.Config{Vault: v, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	caFile := ""
	if withTLS {
		srv.StartTLS()
		caFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		srv.Start()
	}
	t.Cleanup(func() { srv.Close(); v.Close() })
	c, err := client.New(client.Config{Address: srv.URL, Token: root, CACert: caFile})
	if err != nil {
		t.Fatal(err)
	}
	return c, caFile
}
