package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
)

// verifyJoined runs Verify on the files at paths read one after the other.
func verifyJoined(t *testing.T, paths ...string) (int, error) {
	t.Helper()
	var all []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return Verify(bytes.NewReader(all))
}

// Rotation as logrotate's create mode does it: rename, then Reopen. The
// lines after Reopen go to a new file whose chain goes on from the old one,
// and the seal checkpoint at the end signs the whole chain.
func TestReopenAfterRename(t *testing.T) {
	cfg := testConfig(t)
	cfg.CheckpointKey = testCheckpointKey
	l := openTest(t, cfg)
	writeN(t, l, 0, 3)
	old := cfg.Path + ".1"
	if err := os.Rename(cfg.Path, old); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	writeN(t, l, 3, 2)
	if _, err := l.Checkpoint(context.Background(), CheckpointSeal); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, old, 3)
	newLines, _ := readLines(t, cfg.Path)
	if len(newLines) != 3 {
		t.Fatalf("the new file has %d lines, want the 2 entries and the checkpoint", len(newLines))
	}
	if seq, prev, _, reason := parseLine(newLines[0]); reason != "" || seq != 4 || prev == genesis {
		t.Fatalf("the new file's first line: seq %d, prev %.8s, %q; want seq 4 chained to the old file", seq, prev, reason)
	}
	var ce *ChainError
	if _, err := verifyFile(t, cfg.Path); !errors.As(err, &ce) || ce.Line != 1 {
		t.Fatalf("the new file alone verifies (%v): it should show that it continues another", err)
	}
	rep, err := VerifyLog(bytes.NewReader(append(mustRead(t, old), mustRead(t, cfg.Path)...)), VerifyOptions{})
	if err != nil || rep.Entries != 6 || !rep.Sealed || rep.Checkpoints != 1 {
		t.Fatalf("old + new: %+v, %v; want 6 entries ending sealed", rep, err)
	}
	if n, err := verifyJoined(t, cfg.Path, old); err == nil {
		t.Fatalf("new + old in the wrong order verifies (%d entries)", n)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Reopen with the file still in place (a stray SIGHUP) changes nothing.
func TestReopenSameFile(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 2, 2)
	mustVerify(t, cfg.Path, 4)
}

// A path that cannot be opened fails Reopen and every Write after it, with
// nothing lost from the chain; once it can be opened, writing goes on.
func TestReopenFails(t *testing.T) {
	cfg := testConfig(t)
	var mu sync.Mutex
	broken := false
	cfg.openFile = func(path string) (logFile, error) {
		mu.Lock()
		defer mu.Unlock()
		if broken {
			return nil, syscall.EACCES
		}
		return openFile(path)
	}
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	old := cfg.Path + ".1"
	if err := os.Rename(cfg.Path, old); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	broken = true
	mu.Unlock()
	var we *WriteError
	if err := l.Reopen(); !errors.As(err, &we) || !errors.Is(err, syscall.EACCES) {
		t.Fatalf("Reopen of an unopenable path: %v, want *WriteError wrapping EACCES", err)
	}
	if err := l.Write(context.Background(), entry(2)); !errors.As(err, &we) {
		t.Fatalf("Write after a failed Reopen: %v, want *WriteError", err)
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	writeN(t, l, 3, 2)
	if n, err := verifyJoined(t, old, cfg.Path); err != nil || n != 4 {
		t.Fatalf("old + new = %d, %v; want 4 entries in one chain", n, err)
	}
}

// Writes racing with Reopen all land, in one chain across the two files.
func TestReopenConcurrent(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := l.Write(context.Background(), entry(g*100+i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	old := cfg.Path + ".1"
	if err := os.Rename(cfg.Path, old); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if n, err := verifyJoined(t, old, cfg.Path); err != nil || n != 400 {
		t.Fatalf("old + new = %d, %v; want 400 entries in one chain", n, err)
	}
}

func TestReopenClosed(t *testing.T) {
	l := openTest(t, testConfig(t))
	l.Close()
	if err := l.Reopen(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reopen after Close: %v, want ErrClosed", err)
	}
}

// Between the rename and Reopen (logrotate's postrotate sends the signal a
// moment later), writes succeed and go on into the renamed file.
func TestWriteAfterRenameBeforeReopen(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	old := cfg.Path + ".1"
	if err := os.Rename(cfg.Path, old); err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 2, 2)
	mustVerify(t, old, 4)
	if _, err := os.Stat(cfg.Path); !os.IsNotExist(err) {
		t.Fatalf("a file at the path before Reopen: %v", err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 4, 1)
	if n, err := verifyJoined(t, old, cfg.Path); err != nil || n != 5 {
		t.Fatalf("old + new = %d, %v; want 5 entries in one chain", n, err)
	}
}
