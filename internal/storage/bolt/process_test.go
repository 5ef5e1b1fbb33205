package bolt_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
)

// childEnv names the role of a test binary re-executed as a child process;
// childPathEnv the data file it opens.
const (
	childEnv     = "WARD_BOLT_TEST_CHILD"
	childPathEnv = "WARD_BOLT_TEST_PATH"
)

// TestMain runs the child roles when the test binary is started by one of
// the process tests.
func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		childHold(os.Getenv(childPathEnv))
	case "write":
		childWrite(os.Getenv(childPathEnv))
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// startChild runs this test binary in the given role on the data file at
// path and returns it with its stdout. The child is killed when t ends.
func startChild(t *testing.T, role, path string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+role, childPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	// The child's stdin stays open until it is killed: childHold waits
	// on it.
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(out)
}

// childHold opens the data file, says "open" and holds it until killed or
// its stdin is closed.
func childHold(path string) {
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	fmt.Println("open")
	io.Copy(io.Discard, os.Stdin) // returns when the parent goes away
}

// childWrite opens the data file and writes with 16 goroutines until killed.
// Each goroutine alternates a Put of a key of its own and a Transaction of
// two keys, and prints every write as "key=value" lines, followed by a line
// "ok", only after the call returned nil. Values are random so that a stale
// or mixed-up value is caught.
func childWrite(path string) {
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex // one acknowledgement is written at a time
	ack := func(lines string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := os.Stdout.WriteString(lines + "ok\n"); err != nil {
			os.Exit(1)
		}
	}
	ctx := context.Background()
	run := os.Getpid() // keys of one child never repeat those of an earlier one
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				v := fmt.Sprintf("%016x", rand.Uint64())
				if i%2 == 0 {
					key := fmt.Sprintf("put/%d-%02d-%06d", run, g, i)
					if err := db.Put(ctx, &storage.Entry{Key: key, Value: []byte(v)}); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
					ack(key + "=" + v + "\n")
					continue
				}
				tx := fmt.Sprintf("tx/%d-%02d-%06d/", run, g, i)
				a, b := tx+"a", tx+"b"
				err := db.Transaction(ctx, []storage.Op{
					{Kind: storage.OpPut, Key: a, Value: []byte(v)},
					{Kind: storage.OpPut, Key: b, Value: []byte(v + "b")},
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				ack(a + "=" + v + "\n" + b + "=" + v + "b\n")
			}
		})
	}
	wg.Wait()
}

// readAcks reads acknowledgements from a writer child into acked until it
// has n of them or the child's output ends. A write is acknowledged only by
// its complete lines and the "ok" after them.
func readAcks(t *testing.T, r *bufio.Reader, acked map[string]string, n int) int {
	t.Helper()
	count := 0
	pending := map[string]string{}
	for n <= 0 || count < n {
		line, err := r.ReadString('\n')
		if err != nil {
			return count // EOF; a partial last line is not an acknowledgement
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "ok" {
			for k, v := range pending {
				acked[k] = v
			}
			clear(pending)
			count++
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("child wrote %q, want key=value", line)
		}
		pending[k] = v
	}
	return count
}
