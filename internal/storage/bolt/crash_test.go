package bolt_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wardhq/ward/internal/storage/bolt"
)

// TestKill9KeepsAcknowledgedWrites kills a child process with SIGKILL while 16
// goroutines in it write, then checks that every write the child
// acknowledged is in the data file with its exact value, and that no
// transaction is there in part.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "ward.db")
	acked := make(map[string]string)
	for round := range 3 { // each round reopens what the last one left
		cmd, out := startChild(t, "write", path)
		if n := readAcks(t, out, acked, 300); n < 300 {
			t.Fatalf("round %d: child acknowledged only %d writes before its output ended", round, n)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		readAcks(t, out, acked, 0) // what it acknowledged before dying counts too
		err := cmd.Wait()
		var exit interface{ Sys() any }
		if !errors.As(err, &exit) || !exit.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("round %d: child ended with %v, want killed by a signal", round, err)
		}
		checkAfterCrash(t, path, acked)
	}
	t.Logf("%d acknowledged keys survived 3 kills", len(acked))
}

func checkAfterCrash(t *testing.T, path string, acked map[string]string) {
	t.Helper()
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	missing := 0
	for k, want := range acked {
		e, err := db.Get(ctx, k)
		switch {
		case err != nil:
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged write %q lost: %v", k, err)
			}
		case string(e.Value) != want:
			t.Errorf("acknowledged write %q = %q, want %q", k, e.Value, want)
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, len(acked))
	}
	// Transactions, acknowledged or not, are there whole or not at all.
	txs, err := db.List(ctx, "tx/")
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range txs {
		a, errA := db.Get(ctx, "tx/"+tx+"a")
		b, errB := db.Get(ctx, "tx/"+tx+"b")
		if errA != nil || errB != nil {
			t.Errorf("transaction %q is there in part: a: %v, b: %v", tx, errA, errB)
			continue
		}
		if string(b.Value) != string(a.Value)+"b" {
			t.Errorf("transaction %q has a=%q b=%q, written together", tx, a.Value, b.Value)
		}
	}
	t.Logf("%d transactions whole after the kill", len(txs))
}

// TestSecondProcessGetsInUse checks that a data file held by another
// process is refused with ErrInUse after the lock timeout, naming the file.
func TestSecondProcessGetsInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "ward.db")
	cmd, out := startChild(t, "hold", path)
	if line, err := out.ReadString('\n'); err != nil || line != "open\n" {
		t.Fatalf("child said %q, %v; want \"open\"", line, err)
	}
	_, err := bolt.Open(path, bolt.Options{LockTimeout: 100e6})
	if !errors.Is(err, bolt.ErrInUse) {
		t.Fatalf("Open of a file held by another process = %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use by another ward process") {
		t.Errorf("error %q should name the file and say another ward process holds it", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	db, err := bolt.Open(path, bolt.Options{LockTimeout: 100e6})
	if err != nil {
		t.Fatalf("Open after the other process ended: %v", err)
	}
	db.Close()
}
