package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"testing"
	"time"
)

// testCheckpointKey is the vault's checkpoint key in these tests.
var testCheckpointKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func checkpointConfig(t testing.TB) Config {
	cfg := testConfig(t)
	cfg.CheckpointKey = testCheckpointKey
	return cfg
}

func pinned() VerifyOptions {
	return VerifyOptions{Key: testCheckpointKey.Public().(ed25519.PublicKey)}
}

func verifyWith(t *testing.T, log []byte, opts VerifyOptions) (*Report, error) {
	t.Helper()
	return VerifyLog(bytes.NewReader(log), opts)
}

// checkpointedLog writes 3 entries, a periodic checkpoint, 2 entries and a
// seal checkpoint (lines 4 and 7), and returns the file.
func checkpointedLog(t *testing.T) []byte {
	t.Helper()
	cfg := checkpointConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 3)
	mustCheckpoint(t, l, CheckpointPeriodic, true)
	mustCheckpoint(t, l, CheckpointPeriodic, false) // nothing new: skipped
	writeN(t, l, 3, 2)
	mustCheckpoint(t, l, CheckpointSeal, true)
	must(t, l.Close())
	b, err := os.ReadFile(cfg.Path)
	must(t, err)
	return b
}

// mustCheckpoint writes a checkpoint; written says whether a line is
// expected, which must then be the log's last line.
func mustCheckpoint(t testing.TB, l *Log, reason string, written bool) {
	t.Helper()
	line, err := l.Checkpoint(context.Background(), reason)
	must(t, err)
	if (line != nil) != written {
		t.Fatalf("Checkpoint(%s) line %q, want written: %v", reason, line, written)
	}
	if written {
		b, _ := os.ReadFile(l.cfg.Path)
		if !bytes.HasSuffix(b, line) || !isCheckpoint(line) || line[len(line)-1] != '\n' {
			t.Fatalf("Checkpoint returned %q, not the log's last line", line)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointsVerify(t *testing.T) {
	log := checkpointedLog(t)
	rep, err := verifyWith(t, log, pinned())
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Entries: 7, Checkpoints: 2, LastCheckpoint: 7, Unsigned: 0, Sealed: true,
		Key: KeyString(testCheckpointKey.Public().(ed25519.PublicKey)), KeyPinned: true}
	if *rep != want {
		t.Fatalf("report %+v\nwant   %+v", *rep, want)
	}
	// The tail after the last checkpoint is counted.
	cut := bytes.Join(bytes.SplitAfter(log, []byte("\n"))[:6], nil) // lines 1-6
	rep, err = verifyWith(t, cut, pinned())
	if err != nil || rep.Unsigned != 2 || rep.Sealed || rep.LastCheckpoint != 4 {
		t.Fatalf("cut log: %+v, %v", rep, err)
	}
}

// rechain recomputes every line's seq, prev and hash, as someone who can
// write the file can: the unkeyed chain then verifies whatever was changed.
// edit changes line n's JSON object (without its closing brace and chain
// members); h is the head the rebuilt chain has before it.
func rechain(log []byte, edit func(n int, obj []byte, h head) []byte) []byte {
	var out []byte
	h := head{hash: genesis}
	for n, line := range bytes.Split(bytes.TrimSuffix(log, []byte("\n")), []byte("\n")) {
		obj := line[:bytes.LastIndex(line, []byte(`,"seq":`))]
		out, h = appendLine(out, edit(n+1, bytes.Clone(obj), h), h)
	}
	return out
}

// Issue 11: a line edited and the whole chain recomputed passed verify.
func TestRebuiltLogIsCaught(t *testing.T) {
	log := checkpointedLog(t)
	editLine2 := func(n int, obj []byte, _ head) []byte {
		if n == 2 {
			return bytes.Replace(obj, []byte(`"identity":"ci-payments"`), []byte(`"identity":"someone-else"`), 1)
		}
		return obj
	}
	rebuilt := rechain(log, editLine2)
	if _, err := Verify(bytes.NewReader(rebuilt)); !errors.Is(err, ErrRebuilt) {
		t.Fatalf("rebuilt log: %v, want ErrRebuilt", err)
	}
	// Rewriting the checkpoints' heads too breaks their signatures.
	forgedHeads := rechain(log, func(n int, obj []byte, h head) []byte {
		obj = editLine2(n, obj, h)
		if i := bytes.Index(obj, []byte(`"head":"`)); i >= 0 {
			i += len(`"head":"`)
			copy(obj[i:i+64], h.hash)
		}
		return obj
	})
	if _, err := Verify(bytes.NewReader(forgedHeads)); !errors.Is(err, ErrBadCheckpoint) {
		t.Fatalf("rebuilt log with rewritten heads: %v, want ErrBadCheckpoint", err)
	}
}

// lineStart is the offset of line n (1-based) of log.
func lineStart(log []byte, n int) int {
	off := 0
	for range n - 1 {
		off += bytes.IndexByte(log[off:], '\n') + 1
	}
	return off
}

// A rebuilt log re-signed with another key passes only if the key is not
// pinned; pinned, or against shipped checkpoints, it is caught.
func TestForgedKeyNeedsPinning(t *testing.T) {
	log := checkpointedLog(t)
	evil := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	var out []byte
	h := head{hash: genesis}
	for n, line := range bytes.Split(bytes.TrimSuffix(log, []byte("\n")), []byte("\n")) {
		obj := line[:bytes.LastIndex(line, []byte(`,"seq":`))]
		if n == 1 {
			obj = bytes.Replace(obj, []byte(`"ci-payments"`), []byte(`"someone-else"`), 1)
		}
		if isCheckpoint(line) {
			obj = encodeCheckpoint(evil, CheckpointSeal, h, time.Now())
		}
		out, h = appendLine(out, obj, h)
	}
	if _, err := Verify(bytes.NewReader(out)); err != nil {
		t.Fatalf("unpinned: %v; a consistent forgery with its own key verifies without a pinned key", err)
	}
	if _, err := verifyWith(t, out, pinned()); !errors.Is(err, ErrBadCheckpoint) {
		t.Fatalf("pinned: %v, want ErrBadCheckpoint", err)
	}
	shipped, err := ReadCheckpoints(bytes.NewReader(log))
	must(t, err)
	if _, err := verifyWith(t, out, VerifyOptions{Shipped: shipped}); !errors.Is(err, ErrBadCheckpoint) && !errors.Is(err, ErrRebuilt) {
		t.Fatalf("against shipped checkpoints: %v", err)
	}
}

// Issue 11: lines cut off the end passed verify. Against checkpoints kept
// elsewhere, a cut is reported as truncation.
func TestTruncationAgainstShippedCheckpoints(t *testing.T) {
	log := checkpointedLog(t)
	shipped, err := ReadCheckpoints(bytes.NewReader(log))
	must(t, err)
	if len(shipped) != 2 || shipped[1].Reason != CheckpointSeal || shipped[1].Seq != 6 {
		t.Fatalf("shipped: %+v", shipped)
	}
	rep, err := verifyWith(t, log, VerifyOptions{Shipped: shipped})
	if err != nil || rep.Shipped != 2 || !rep.KeyPinned {
		t.Fatalf("whole log: %+v, %v", rep, err)
	}
	for _, keep := range []int{6, 5, 3, 0} {
		cut := log[:lineStart(log, keep+1)]
		_, err := verifyWith(t, cut, VerifyOptions{Shipped: shipped})
		var ce *ChainError
		if !errors.Is(err, ErrTruncated) || !errors.As(err, &ce) || ce.Line != keep+1 {
			t.Errorf("log cut to %d lines: %v, want ErrTruncated at line %d", keep, err, keep+1)
		}
	}
	// A cut and rebuilt log that still has as many lines: the hashes differ.
	rebuilt := rechain(log[:lineStart(log, 6)], func(_ int, obj []byte, _ head) []byte { return obj })
	for range 2 {
		rebuilt, _ = appendLine(rebuilt, []byte(`{"time":"2026-01-01T00:00:00Z","type":"request"`), head{})
	}
	if _, err := verifyWith(t, rebuilt, VerifyOptions{Shipped: shipped}); err == nil {
		t.Fatal("a rebuilt log passed against shipped checkpoints")
	}
}

// A reopened log remembers that its last line is a checkpoint.
func TestCheckpointAfterReopen(t *testing.T) {
	cfg := checkpointConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	mustCheckpoint(t, l, CheckpointPeriodic, true)
	must(t, l.Close())
	l = openTest(t, cfg)
	mustCheckpoint(t, l, CheckpointPeriodic, false)
	must(t, l.Close())
	b, _ := os.ReadFile(cfg.Path)
	if n := bytes.Count(b, []byte("\n")); n != 3 {
		t.Fatalf("%d lines, want 3: the periodic checkpoint after reopening signed nothing new", n)
	}
}

func TestCheckpointRefusals(t *testing.T) {
	l := openTest(t, testConfig(t))
	if _, err := l.Checkpoint(context.Background(), CheckpointSeal); !errors.Is(err, ErrNoCheckpointKey) {
		t.Fatalf("Checkpoint without a key: %v", err)
	}
	l = openTest(t, checkpointConfig(t))
	if err := l.Write(context.Background(), &Entry{Type: "checkpoint"}); err == nil {
		t.Fatal("Write of an entry typed checkpoint")
	}
	if _, err := l.Checkpoint(context.Background(), "whenever"); err == nil {
		t.Fatal("Checkpoint with an unknown reason")
	}
}
