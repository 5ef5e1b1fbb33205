package server

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/vault"
)

// The unseal endpoint shows why a right key did not open the vault, and
// the server's log line carries the same public message.
func TestUnsealShowsOpenFailure(t *testing.T) {
	ctx := context.Background()
	v, err := vault.Open(vault.Config{Storage: memory.New(), AuditPath: filepath.Join(t.TempDir(), "missing-dir", "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	hs := httptest.NewServer(New(Config{Vault: v, Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	t.Cleanup(func() { hs.Close(); v.Close() })
	s := &testServer{t: t, url: hs.URL, v: v}
	st, body := s.do("POST", "/v1/sys/unseal", "", mustJSON(map[string]any{"key": hex.EncodeToString(res.Shares[0])}))
	if st != 500 || !strings.Contains(mustJSON(body), "missing-dir") || !strings.Contains(mustJSON(body), "stays sealed") {
		t.Fatalf("unseal = %d %v, want 500 naming the audit log path", st, body)
	}
	if !strings.Contains(logs.String(), "missing-dir") {
		t.Errorf("the log does not carry the error's message:\n%s", logs.String())
	}
	if !v.Sealed() {
		t.Error("the vault opened")
	}
}

// A request that fails inside ward logs the error's public message, not
// only its Go type, and answers the client with the request id only.
func TestInternalErrorLogged(t *testing.T) {
	s := newTestServer(t)
	s.do("POST", "/v1/dev/data/app/db", s.root, `{"data":{"k":"v"}}`)
	s.raw.Close()
	st, body := s.do("GET", "/v1/dev/data/app/db", s.root, "")
	if st != 500 || !strings.Contains(mustJSON(body), "internal error; request id") {
		t.Fatalf("read over a closed store = %d %v", st, body)
	}
	if !strings.Contains(s.logs.String(), storage.ErrClosed.Error()) {
		t.Errorf("the log line lacks the error's message:\n%s", s.logs.String())
	}
}
