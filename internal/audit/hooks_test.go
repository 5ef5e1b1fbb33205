package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestHooksSeeEveryLineAndFailure: OnWrite gets exactly the bytes the file
// holds, batch by batch; OnBatch sees each write's error.
func TestHooksSeeEveryLineAndFailure(t *testing.T) {
	cfg := testConfig(t)
	var fail atomic.Bool
	cfg.openFile = func(path string) (logFile, error) {
		f, err := openFile(path)
		if err != nil {
			return nil, err
		}
		return &flakyFile{logFile: f, fail: &fail}, nil
	}
	var mu sync.Mutex
	var seen bytes.Buffer
	var batches, failures int
	cfg.OnWrite = func(lines []byte) {
		mu.Lock()
		seen.Write(lines)
		mu.Unlock()
	}
	cfg.OnBatch = func(took time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if took < 0 {
			t.Errorf("OnBatch took %v", took)
		}
		batches++
		if err != nil {
			failures++
		}
	}
	l := openTest(t, cfg)
	writeN(t, l, 0, 5)
	fail.Store(true)
	if err := l.Write(context.Background(), entry(5)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Write on a failing file: %v, want EIO", err)
	}
	fail.Store(false)
	writeN(t, l, 10, 2)
	file, err := os.ReadFile(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(seen.Bytes(), file) {
		t.Errorf("OnWrite saw %d bytes, the file holds %d:\n%s\nvs\n%s", seen.Len(), len(file), seen.Bytes(), file)
	}
	if bytes.Count(file, []byte("\n")) != 7 {
		t.Errorf("the file holds %d lines, want 7", bytes.Count(file, []byte("\n")))
	}
	if failures != 1 || batches < 8 {
		t.Errorf("OnBatch: %d batches, %d failures; want >= 8 and 1", batches, failures)
	}
}
