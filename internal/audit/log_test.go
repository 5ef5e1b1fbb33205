package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestWriteVerify(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 5)
	mustVerify(t, cfg.Path, 5)
	fi, err := os.Stat(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(cfg.Path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"time": "2026-11-25T22:00:00.001Z", "type": "request", "request_id": "req-0000",
		"identity": "ci-payments", "environment": "staging", "path": "staging/data/payments/db",
		"operation": "read", "remote_addr": "10.0.0.7:51234", "seq": 1.0, "prev": genesis,
		"token": l.HMAC("ward_token_value"), "accessor": l.HMAC("wacc_accessor_value"),
	} {
		if first[k] != want {
			t.Errorf("line 1 %s = %v, want %v", k, first[k], want)
		}
	}
	var second map[string]any
	json.Unmarshal([]byte(lines[1]), &second)
	if second["prev"] != first["hash"] || second["seq"] != 2.0 {
		t.Errorf("line 2 prev %v seq %v; want prev = line 1 hash %v, seq 2", second["prev"], second["seq"], first["hash"])
	}
}

func TestHMACVector(t *testing.T) {
	l := openTest(t, testConfig(t))
	// python3: hmac.new(bytes(range(32)), b"hunter2", hashlib.sha256).hexdigest()
	const want = "hmac-sha256:8629d712da366318588317f3f98c728c71d4819f843d95db8803c019c561c1e7"
	if got := l.HMAC("hunter2"); got != want {
		t.Errorf("HMAC = %s, want %s", got, want)
	}
}

func TestOpenResumesChain(t *testing.T) {
	cfg := testConfig(t)
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 0, 3)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, cfg)
	writeN(t, l, 3, 2)
	mustVerify(t, cfg.Path, 5)
}

func TestOpenTightensMode(t *testing.T) {
	cfg := testConfig(t)
	if err := os.WriteFile(cfg.Path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cfg.Path, 0o644)
	openTest(t, cfg)
	fi, _ := os.Stat(cfg.Path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t)
	for _, tc := range []struct {
		name string
		cfg  func() Config
		want error
	}{
		{"no path", func() Config { c := cfg; c.Path = ""; return c }, ErrNoPath},
		{"short key", func() Config { c := cfg; c.HMACKey = testKey[:16]; return c }, ErrKeySize},
		{"directory", func() Config { c := cfg; c.Path = dir; return c }, nil},
		{"device", func() Config { c := cfg; c.Path = os.DevNull; return c }, ErrNotRegular},
		{"symlink", func() Config {
			c := cfg
			c.Path = dir + "/link"
			os.Symlink(cfg.Path, c.Path)
			return c
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Open(tc.cfg())
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Open: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	cfg := testConfig(t)
	openTest(t, cfg)
	if l, err := Open(cfg); !errors.Is(err, ErrLocked) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestOpenTornTail(t *testing.T) {
	cfg := testConfig(t)
	l, _ := Open(cfg)
	writeN(t, l, 0, 3)
	l.Close()
	b, _ := os.ReadFile(cfg.Path)
	lines := bytes.SplitAfter(b, []byte("\n"))
	torn := append(append([]byte{}, b...), lines[1][:40]...)
	os.WriteFile(cfg.Path, torn, 0o600)

	n, err := verifyFile(t, cfg.Path)
	var ce *ChainError
	if !errors.As(err, &ce) || !errors.Is(err, ErrTorn) || ce.Line != 4 || n != 3 {
		t.Fatalf("Verify of a torn log = %d, %v; want 3 entries and ErrTorn at line 4", n, err)
	}
	l = openTest(t, cfg)
	writeN(t, l, 3, 1)
	mustVerify(t, cfg.Path, 4)
}

func TestOpenDamagedLastLine(t *testing.T) {
	cfg := testConfig(t)
	l, _ := Open(cfg)
	writeN(t, l, 0, 2)
	l.Close()
	b, _ := os.ReadFile(cfg.Path)
	b[len(b)-100] ^= 1
	b = append(b, `{"torn`...)
	os.WriteFile(cfg.Path, b, 0o600)
	if l, err := Open(cfg); !errors.Is(err, ErrBroken) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("Open: %v, want ErrBroken", err)
	}
	if after, _ := os.ReadFile(cfg.Path); !bytes.Equal(after, b) {
		t.Error("Open changed a log it refused")
	}
}

func TestConcurrentWrites(t *testing.T) {
	cfg := testConfig(t)
	cfg.Now = nil
	l := openTest(t, cfg)
	const writers, each = 16, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			writeN(t, l, w*each, each)
		}()
	}
	wg.Wait()
	mustVerify(t, cfg.Path, writers*each)
	b, _ := os.ReadFile(cfg.Path)
	seen := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		var e struct {
			RequestID string `json:"request_id"`
		}
		json.Unmarshal([]byte(line), &e)
		if seen[e.RequestID] {
			t.Fatalf("request %s written twice", e.RequestID)
		}
		seen[e.RequestID] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct entries, want %d", len(seen), writers*each)
	}
}

func TestClosed(t *testing.T) {
	l := openTest(t, testConfig(t))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(context.Background(), entry(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestWriteCanceled(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Write(ctx, entry(0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v, want context.Canceled", err)
	}
	mustVerify(t, cfg.Path, 0)
}

func TestWriteTooLarge(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	e := entry(0)
	// Data too large even redacted (keys are kept as they are) is written
	// as one HMAC: a hostile body never makes the log refuse a request.
	e.Data = map[string]any{strings.Repeat("k", MaxLine): "v"}
	if err := l.Write(context.Background(), e); err != nil {
		t.Fatalf("Write of huge data: %v", err)
	}
	// Public fields are written as they are: too long, they are refused.
	e = entry(1)
	e.Path = strings.Repeat("p", MaxLine)
	if err := l.Write(context.Background(), e); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Write of a huge path: %v, want ErrTooLarge", err)
	}
	writeN(t, l, 2, 1)
	mustVerify(t, cfg.Path, 2)
	b, _ := os.ReadFile(cfg.Path)
	if first, _, _ := bytes.Cut(b, []byte("\n")); len(first) > 4096 || !bytes.Contains(first, []byte(`"data":"`+hmacJSONPrefix)) {
		t.Errorf("huge data: a %d-byte line, want data as one %s HMAC", len(first), hmacJSONPrefix)
	}
}

// TestCloseWhileWriting closes the log under 16 writers: every Write either
// succeeds and its line is in the file, or fails with ErrClosed.
func TestCloseWhileWriting(t *testing.T) {
	cfg := testConfig(t)
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				err := l.Write(context.Background(), entry(w*1000+i))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				ok.Add(1)
			}
		}()
	}
	for ok.Load() < 100 {
		runtime.Gosched()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	mustVerify(t, cfg.Path, int(ok.Load()))
}
