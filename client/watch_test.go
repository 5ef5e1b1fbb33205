package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// replace writes a file as ward run --watch does: a new file renamed over
// the old one.
func replace(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(dir, ".ward-tmp-test")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

type dbSecrets struct{ Password string }

// loadDB is a loader like the one ward codegen generates: it reads the
// file and refuses an empty value.
func loadDB(dir string) func() (dbSecrets, error) {
	return func() (dbSecrets, error) {
		b, err := os.ReadFile(filepath.Join(dir, "db_password"))
		if err != nil {
			return dbSecrets{}, errors.New("db_password: missing")
		}
		if len(b) == 0 {
			return dbSecrets{}, errors.New("db_password: empty")
		}
		return dbSecrets{Password: string(b)}, nil
	}
}

// watching runs WatchSecrets with a fake clock and reports each value
// applied and each error on channels.
func watching(t *testing.T, dir string, sig syscall.Signal) (tick func(), applied chan string, errs chan error) {
	t.Helper()
	ticks := make(chan time.Time)
	applied, errs = make(chan string, 10), make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- WatchSecrets(ctx, WatchConfig{Dir: dir, Signals: []os.Signal{sig}, After: func(time.Duration) <-chan time.Time { return ticks },
			OnError: func(err error) { errs <- err }}, loadDB(dir), func(s dbSecrets) { applied <- s.Password })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("WatchSecrets = %v, want context.Canceled", err)
		}
	})
	return func() { ticks <- time.Time{} }, applied, errs
}

func next(t *testing.T, applied chan string) string {
	t.Helper()
	select {
	case v := <-applied:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing applied")
		return ""
	}
}

func none(t *testing.T, applied chan string) {
	t.Helper()
	select {
	case v := <-applied:
		t.Fatalf("applied %q, want nothing", v)
	default:
	}
}

func TestWatchSecretsOnReplacedFile(t *testing.T) {
	dir := t.TempDir()
	replace(t, dir, "db_password", "v1")
	tick, applied, errs := watching(t, dir, syscall.SIGUSR2)
	if v := next(t, applied); v != "v1" {
		t.Fatalf("first value %q, want v1", v)
	}
	tick()
	tick() // the second tick waits until the first check is done
	none(t, applied)
	replace(t, dir, "db_password", "v2")
	tick()
	if v := next(t, applied); v != "v2" {
		t.Fatalf("after the replacement: %q, want v2", v)
	}
	// A withdrawn file (a revoked secret) is an error; the last good value stays.
	os.Remove(filepath.Join(dir, "db_password"))
	tick()
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "db_password: missing") {
			t.Fatalf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no error for the withdrawn file")
	}
	none(t, applied)
}

func TestWatchSecretsOnSignal(t *testing.T) {
	dir := t.TempDir()
	replace(t, dir, "db_password", "v1")
	_, applied, _ := watching(t, dir, syscall.SIGUSR2)
	next(t, applied)
	replace(t, dir, "db_password", "v2")
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	if v := next(t, applied); v != "v2" {
		t.Fatalf("after the signal: %q, want v2", v)
	}
}

func TestWatchSecretsFirstLoadFails(t *testing.T) {
	err := WatchSecrets(context.Background(), WatchConfig{Dir: t.TempDir()}, loadDB(t.TempDir()), func(dbSecrets) { t.Fatal("applied") })
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("WatchSecrets = %v, want the loader's error", err)
	}
}
