// Command chaos is ward's long crash suite: it builds ward and kills
// `ward server` with SIGKILL every 1 to 5 seconds (seeded) under 16
// concurrent writers, -n times, on bbolt and, when WARD_STORAGE_DSN names an
// empty PostgreSQL database, on PostgreSQL too (package internal/crashtest
// does the work; `make test` runs the same suite with 20 kills). After every
// restart each write acknowledged to a client is read back and
// `ward audit verify` checks the audit log; at the end every acknowledged
// secret is read once more. It prints each store's figures: kills, writes
// acknowledged (all read back), restart to serving, median and max.
//
//	go run ./bench/chaos -n 200
//	WARD_STORAGE_DSN='postgres://ward:PW@127.0.0.1:5432/wardchaos?sslmode=disable' \
//	    go run ./bench/chaos -n 200 -storage postgres
//
// Run it from the repository root. It exits 1 at the first lost write, failed
// verification or restart slower than 5 seconds, and prints the seed to
// repeat the run with.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/wardhq/ward/internal/crashtest"
)

func main() {
	n := flag.Int("n", 200, "kills per store")
	storage := flag.String("storage", "all", "bolt, postgres, or all (postgres when WARD_STORAGE_DSN is set)")
	writers := flag.Int("writers", 16, "concurrent writers")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the kill times")
	pace := flag.Duration("pace", 50*time.Millisecond, "least time per write per writer (0: as fast as the server answers, which grows the audit log by about 1 GB in 10 minutes)")
	verbose := flag.Bool("v", false, "print every cycle")
	verifyEvery := flag.Int("verify-every", 25, "run ward audit verify after every this many kills (and after the last); the log grows by hundreds of MB")
	flag.Parse()
	log.SetFlags(0)
	dsn := os.Getenv("WARD_STORAGE_DSN")
	var stores []string
	switch *storage {
	case "bolt":
		stores = []string{"bolt"}
	case "postgres":
		if dsn == "" {
			log.Fatal("chaos: -storage postgres needs WARD_STORAGE_DSN, the connection string of an empty database")
		}
		stores = []string{"postgres"}
	case "all":
		stores = []string{"bolt"}
		if dsn != "" {
			stores = append(stores, "postgres")
		} else {
			fmt.Println("chaos: WARD_STORAGE_DSN is not set; bbolt only")
		}
	default:
		log.Fatalf("chaos: -storage must be bolt, postgres or all, not %q", *storage)
	}
	dir, err := os.MkdirTemp("", "ward-bench-chaos-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ward := filepath.Join(dir, "ward")
	if out, err := exec.Command("go", "build", "-o", ward, "./cmd/ward").CombinedOutput(); err != nil {
		log.Fatalf("chaos: building ward (run from the repository root): %v\n%s", err, out)
	}
	fmt.Printf("kills=%d writers=%d seed=%d pace=%s\n", *n, *writers, *seed, *pace)
	failed := false
	for _, st := range stores {
		cfg := crashtest.Config{Ward: ward, Dir: filepath.Join(dir, st), Storage: st, DSN: dsn, Cycles: *n,
			Writers: *writers, Seed: *seed, Pace: *pace, ReadAllAtEnd: true, VerifyEvery: *verifyEvery}
		if *verbose {
			cfg.Logf = func(f string, a ...any) { fmt.Printf(st+": "+f+"\n", a...) }
		}
		rep, err := crashtest.Run(context.Background(), cfg)
		fmt.Printf("%-8s %s\n", st, rep)
		if err != nil {
			fmt.Printf("%-8s FAILED (seed %d): %v\n", st, *seed, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
