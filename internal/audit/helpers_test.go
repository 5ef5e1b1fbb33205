package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testKey is the audit key of every test log: bytes 0 to 31.
var testKey = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

// fakeClock returns a clock that moves one millisecond per call.
func fakeClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func testConfig(t testing.TB) Config {
	return Config{Path: filepath.Join(t.TempDir(), "audit.log"), HMACKey: testKey, Now: fakeClock()}
}

func openTest(t testing.TB, cfg Config) *Log {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// entry returns a typical request entry numbered i.
func entry(i int) *Entry {
	return &Entry{
		Type:        "request",
		RequestID:   fmt.Sprintf("req-%04d", i),
		Identity:    "ci-payments",
		Token:       "ward_token_value",
		Accessor:    "wacc_accessor_value",
		Policies:    []string{"payments-read"},
		Environment: "staging",
		Path:        "staging/data/payments/db",
		Operation:   "read",
		RemoteAddr:  "10.0.0.7:51234",
		Data:        map[string]any{"password": "s3cret", "port": 5432.0},
		Meta:        map[string]string{"ci_run": "1234"},
	}
}

func writeN(t testing.TB, l *Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Write(context.Background(), entry(i)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
}

// verifyFile runs Verify on the file at path.
func verifyFile(t testing.TB, path string) (int, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Verify(bytes.NewReader(b))
}

func mustVerify(t testing.TB, path string, want int) {
	t.Helper()
	n, err := verifyFile(t, path)
	if err != nil || n != want {
		t.Fatalf("Verify = %d, %v; want %d entries, intact", n, err, want)
	}
}

// readLines returns the lines of the file at path, without newlines.
func readLines(t testing.TB, path string) ([][]byte, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")), err
}
