package client

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A server whose certificate does not verify is reported at once, as
// ErrCertificate, without the retries a refused connection gets; with its
// CA in CACert the same request succeeds.
func TestPrivateCA(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(`{"initialized":true}`))
	}))
	defer srv.Close()
	var sleeps atomic.Int32
	sleep := func(context.Context, time.Duration) error { sleeps.Add(1); return nil }

	c, err := New(Config{Address: srv.URL, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "sys/seal-status", nil, nil)
	var ce *ConnectionError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCertificate) {
		t.Fatalf("err = %v, want a ConnectionError matching ErrCertificate", err)
	}
	if n := sleeps.Load(); n != 0 {
		t.Fatalf("a certificate failure was retried %d times", n)
	}

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemCert, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = New(Config{Address: srv.URL, CACert: caFile, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "GET", "sys/seal-status", nil, nil); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("server saw %d calls, want 1", calls.Load())
	}
	// A connection refused is still retried, and is no certificate error.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ = New(Config{Address: closed.URL, Sleep: sleep})
	err = c.Do(context.Background(), "GET", "sys/seal-status", nil, nil)
	if errors.Is(err, ErrCertificate) || sleeps.Load() != 3 {
		t.Fatalf("refused connection: err %v after %d sleeps, want 3 retries", err, sleeps.Load())
	}
}

func TestCACertFileErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for _, tt := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{notPEM, "holds no PEM certificate"},
	} {
		_, err := New(Config{Address: "https://127.0.0.1:1", CACert: tt.file})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CACert %s: err %v, want %q", tt.file, err, tt.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("ward_fromfile\n"), 0o600)
	env := map[string]string{"VAULT_ADDR": "https://v:8200", "WARD_CACERT": "/ca.pem", "WARD_CONFIG_DIR": dir}
	c := ConfigFromEnv(func(k string) string { return env[k] })
	if c.Address != "https://v:8200" || c.CACert != "/ca.pem" || c.Token != "ward_fromfile" {
		t.Fatalf("config %+v", c)
	}
	env["WARD_ADDR"], env["WARD_TOKEN"] = "https://w:8200", "ward_fromenv"
	c = ConfigFromEnv(func(k string) string { return env[k] })
	if c.Address != "https://w:8200" || c.Token != "ward_fromenv" {
		t.Fatalf("config %+v", c)
	}
	if got := TokenFileFromEnv(func(k string) string { return map[string]string{"HOME": "/home/a"}[k] }); got != "/home/a/.ward/token" {
		t.Fatalf("token file %q", got)
	}
}
