package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// flakyConfig is a test log whose file fails every write while fail is set.
func flakyConfig(t *testing.T) (Config, *atomic.Bool) {
	cfg := testConfig(t)
	fail := new(atomic.Bool)
	cfg.openFile = func(path string) (logFile, error) {
		f, err := openFile(path)
		if err != nil {
			return nil, err
		}
		return &flakyFile{logFile: f, fail: fail}, nil
	}
	return cfg, fail
}

// TestHooksSeeEveryLineAndFailure: OnWrite gets exactly the bytes the file
// holds, batch by batch; OnBatch sees each write's error.
func TestHooksSeeEveryLineAndFailure(t *testing.T) {
	cfg, fail := flakyConfig(t)
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

// TestOnEntriesMatchesLines: OnEntries gets one Written per line the file
// holds, in order (nil Entry for a checkpoint), with the time and the
// HMACs the line holds; a failed batch hands over nothing.
func TestOnEntriesMatchesLines(t *testing.T) {
	cfg, fail := flakyConfig(t)
	cfg.CheckpointKey = testCheckpointKey
	type seen struct {
		entry           *Entry
		time            time.Time
		token, accessor string
	}
	var mu sync.Mutex
	var got []seen
	cfg.OnEntries = func(batch []Written) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range batch {
			got = append(got, seen{w.Entry, w.Time, string(w.Token), string(w.Accessor)})
		}
	}
	l := openTest(t, cfg)
	ctx := context.Background()
	req, resp := entry(1), entry(1)
	resp.Type, resp.Status, resp.Time = "response", 200, time.Date(2026, 11, 26, 1, 2, 3, 4, time.FixedZone("x", 3600))
	other := entry(2)
	other.Token, other.Accessor = "", "another_accessor"
	if err := l.WriteAll(ctx, req, resp, other); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(ctx, CheckpointSeal); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if err := l.Write(ctx, entry(3)); err == nil {
		t.Fatal("Write on a failing file succeeded")
	}
	fail.Store(false)
	if err := l.Write(ctx, entry(4)); err != nil {
		t.Fatal(err)
	}
	lines, err := readLines(t, cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(lines) || len(got) != 5 {
		t.Fatalf("OnEntries handed over %d entries, the file holds %d lines (want 5)", len(got), len(lines))
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		g := got[i]
		if m["type"] == "checkpoint" {
			if g.entry != nil {
				t.Errorf("line %d is a checkpoint, OnEntries handed over %+v", i+1, g.entry)
			}
			continue
		}
		if g.entry == nil || m["request_id"] != g.entry.RequestID || m["type"] != g.entry.Type {
			t.Errorf("line %d is %v, OnEntries handed over %+v", i+1, m["request_id"], g.entry)
			continue
		}
		if ts := g.time.Format(time.RFC3339Nano); m["time"] != ts || g.time.Location() != time.UTC {
			t.Errorf("line %d: time %v, OnEntries handed over %s (%v)", i+1, m["time"], ts, g.time.Location())
		}
		tok, _ := m["token"].(string)
		acc, _ := m["accessor"].(string)
		if g.token != tok || g.accessor != acc {
			t.Errorf("line %d: token %q accessor %q, OnEntries handed over %q and %q", i+1, tok, acc, g.token, g.accessor)
		}
	}
	if got[0].token == "" || got[2].token != "" || got[2].accessor == got[0].accessor || got[3].entry != nil {
		t.Errorf("OnEntries handed over %+v", got)
	}
}
