package postgres_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage/postgres"
)

// lockChildEnv, when set to a DSN, makes the test binary a child process
// that takes the "maintenance" lock, says "held" and waits to be killed.
const lockChildEnv = "WARD_TEST_LOCK_CHILD_DSN"

func lockChild(dsn string) {
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if _, _, err := db.Lead(context.Background(), "maintenance"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("held")
	select {}
}

// The lock is held by one process at a time; when its holder is killed
// with SIGKILL, a waiting process gets it within 10 s (in practice at
// once: PostgreSQL frees a session's locks when its connection ends).
func TestLeadFailsOverWhenTheHolderIsKilled(t *testing.T) {
	db, dsn := open(t, postgres.Options{})
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), lockChildEnv+"="+dsn)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "held" {
		t.Fatalf("child: %q", line)
	}
	// While the child holds it, Lead waits.
	wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, _, err = db.Lead(wctx, "maintenance")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lead while another process holds the lock = %v, want it to wait until the deadline", err)
	}
	// Another name is free.
	_, release, err := db.Lead(ctx, "other-work")
	if err != nil {
		t.Fatalf("Lead of a lock nobody holds: %v", err)
	}
	release()

	got := make(chan time.Time, 1)
	go func() {
		_, release, err := db.Lead(ctx, "maintenance")
		if err != nil {
			t.Error(err)
			return
		}
		got <- time.Now()
		release()
	}()
	time.Sleep(200 * time.Millisecond) // let Lead queue behind the child in PostgreSQL
	killed := time.Now()
	child.Process.Kill()
	child.Wait()
	select {
	case at := <-got:
		t.Logf("lock moved %v after the holder was killed", at.Sub(killed).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("the lock did not move within 10s of its holder's kill -9")
	}
}

// A holder whose connection is cut learns it: the held context ends, and
// another process can take the lock.
func TestLeadNoticesALostConnection(t *testing.T) {
	db, dsn := open(t, postgres.Options{LeaseCheck: 100 * time.Millisecond})
	held, release, err := db.Lead(ctx, "work")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	sql(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ward-lock' AND datname = current_database()")
	select {
	case <-held.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("held context still live 5s after the lock's connection was terminated")
	}
	other, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, rel, err := other.Lead(wctx, "work"); err != nil {
		t.Fatalf("Lead after the holder lost its connection: %v", err)
	} else {
		rel()
	}
}

// release frees the lock for the next process at once.
func TestLeadRelease(t *testing.T) {
	a, dsn := open(t, postgres.Options{})
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	heldA, releaseA, err := a.Lead(ctx, "work")
	if err != nil {
		t.Fatal(err)
	}
	releaseA()
	if heldA.Err() == nil {
		t.Error("held context still live after release")
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, releaseB, err := b.Lead(wctx, "work")
	if err != nil {
		t.Fatalf("Lead after release: %v", err)
	}
	releaseB()
}
