package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/vault"
)

// benchServer is a server over bbolt with the audit log on, as ward dev runs.
func benchServer(b *testing.B) (url, root string) {
	b.Helper()
	dir := b.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "ward.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	v, err := vault.Open(vault.Config{Storage: db, AuditPath: filepath.Join(dir, "audit.log")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		b.Fatal(err)
	}
	if _, err := v.CreateEnv(ctx, "staging"); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Vault: v, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}))
	b.Cleanup(func() { srv.Close(); v.Close() })
	return srv.URL, res.RootToken
}

func benchDo(b *testing.B, c *http.Client, method, url, token, body string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("X-Vault-Token", token)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
}

// BenchmarkKVRead measures authenticated, audited reads over HTTP with 16
// concurrent clients (go test -bench KVRead -cpu 2 ./internal/server).
func BenchmarkKVRead(b *testing.B) {
	url, root := benchServer(b)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for i := 0; i < 100; i++ {
		benchDo(b, c, "POST", fmt.Sprintf("%s/v1/staging/data/bench/k%d", url, i), root, `{"data":{"user":"svc","password":"0123456789abcdef0123456789abcdef","port":5432}}`)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			benchDo(b, c, "GET", fmt.Sprintf("%s/v1/staging/data/bench/k%d", url, i%100), root, "")
			i++
		}
	})
}

// BenchmarkKVWrite measures authenticated, audited, fsynced writes.
func BenchmarkKVWrite(b *testing.B) {
	url, root := benchServer(b)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			benchDo(b, c, "POST", fmt.Sprintf("%s/v1/staging/data/bench/k%d", url, i%100), root, `{"data":{"user":"svc","password":"0123456789abcdef0123456789abcdef","port":5432}}`)
			i++
		}
	})
}
