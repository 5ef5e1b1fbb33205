package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/vault"
	"github.com/wardhq/ward/internal/vault/vaulttest"
)

// benchServer is a server over bbolt with the audit log on, as ward dev runs.
func benchServer(b *testing.B) (url, root string) {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "ward.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tv := vaulttest.New(b, vault.Config{Storage: db}, "staging")
	srv := httptest.NewServer(New(Config{Vault: tv.Vault, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}))
	b.Cleanup(srv.Close)
	return srv.URL, tv.Root
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
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			benchDo(b, c, "GET", fmt.Sprintf("%s/v1/staging/data/bench/k%d", url, i%100), root, "")
			i++
		}
	})
	b.StopTimer()
	// CPU time per read, client and server: steadier than wall time on a
	// shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
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

// BenchmarkKVWriteTyped is BenchmarkKVWrite with secrets typed postgres:
// the difference is the cost of validation on every write.
func BenchmarkKVWriteTyped(b *testing.B) {
	benchKVWrite(b, "postgres")
}

// BenchmarkKVWriteUntyped is the same writes with no type
// (go test -bench 'KVWrite(Typed|Untyped)$' ./internal/server).
func BenchmarkKVWriteUntyped(b *testing.B) {
	benchKVWrite(b, "")
}

func benchKVWrite(b *testing.B, typ string) {
	url, root := benchServer(b)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const value = `{"data":{"host":"db.internal","port":5432,"user":"svc","password":"0123456789abcdef0123456789abcdef","database":"payments","sslmode":"require"}}`
	// Both carry custom metadata, so that they differ by the type alone.
	meta := `{"custom_metadata":{"owner":"bench"}}`
	if typ != "" {
		meta = `{"custom_metadata":{"owner":"bench","type":"` + typ + `"}}`
	}
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/v1/staging/metadata/bench/k%d", url, i), strings.NewReader(meta))
		req.Header.Set("X-Vault-Token", root)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 204 {
			b.Fatalf("writing metadata: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	b.SetParallelism(8)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			benchDo(b, c, "POST", fmt.Sprintf("%s/v1/staging/data/bench/k%d", url, i%100), root, value)
			i++
		}
	})
	b.StopTimer()
	// CPU time per write (client and server: the same in both benchmarks)
	// is steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkKVReadHandler is BenchmarkKVRead without the network: the
// server's own work for an audited read (routing, token, policy, storage,
// audit log, response body), called in-process with 16 goroutines
// (go test -bench KVReadHandler -benchmem ./internal/server).
func BenchmarkKVReadHandler(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "ward.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tv := vaulttest.New(b, vault.Config{Storage: db}, "staging")
	// Requests are logged at info, which ward dev leaves off, as here.
	s := New(Config{Vault: tv.Vault, Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	for i := range 100 {
		w := &discardWriter{}
		r := httptest.NewRequest("POST", fmt.Sprintf("/v1/staging/data/bench/k%d", i), strings.NewReader(`{"data":{"user":"svc","password":"0123456789abcdef0123456789abcdef","port":5432}}`))
		r.Header.Set("X-Vault-Token", tv.Root)
		s.ServeHTTP(w, r)
		if w.status != 200 {
			b.Fatalf("writing k%d: %d", i, w.status)
		}
	}
	b.SetParallelism(8)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{}
		i := 0
		for pb.Next() {
			r := httptest.NewRequest("GET", fmt.Sprintf("/v1/staging/data/bench/k%d", i%100), nil)
			r.Header.Set("X-Vault-Token", tv.Root)
			w.reset()
			s.ServeHTTP(w, r)
			if w.status != 200 || w.n == 0 {
				b.Fatalf("read: %d, %d bytes", w.status, w.n)
			}
			i++
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// discardWriter is an http.ResponseWriter that keeps the status and the
// size of the body.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) reset() { clear(w.h); w.status, w.n = 0, 0 }

func (w *discardWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}
