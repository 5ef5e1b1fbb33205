package e2e

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/crashtest"
	"github.com/wardhq/ward/internal/pgtest"
)

// The short crash suite: ward server is killed with SIGKILL every 1 to 5
// seconds under 16 writers, 20 times; every acknowledged write must read
// back after each restart, the audit log must verify, and each restart must
// serve within 5 seconds. bench/chaos runs the long one (200 kills).
// WARD_TEST_CRASH_CYCLES changes the count.

func crashConfig(t *testing.T) crashtest.Config {
	cycles := 20
	if s := os.Getenv("WARD_TEST_CRASH_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("WARD_TEST_CRASH_CYCLES=%q is not a positive count", s)
		}
		cycles = n
	}
	return crashtest.Config{Ward: wardBin, Dir: t.TempDir(), Cycles: cycles, Pace: 50 * time.Millisecond, VerifyEvery: 5, Seed: uint64(time.Now().UnixNano()), Logf: t.Logf}
}

func runCrash(t *testing.T, cfg crashtest.Config) {
	t.Logf("seed %d", cfg.Seed)
	rep, err := crashtest.Run(context.Background(), cfg)
	t.Log(rep)
	if err != nil {
		t.Fatalf("seed %d: %v", cfg.Seed, err)
	}
	if rep.Cycles != cfg.Cycles || rep.Acked == 0 || rep.Verifies == 0 {
		t.Fatalf("the run did not do what it was asked: %s", rep)
	}
}

func TestCrashBolt(t *testing.T) {
	runCrash(t, crashConfig(t))
}

func TestCrashPostgres(t *testing.T) {
	cfg := crashConfig(t)
	cfg.Storage, cfg.DSN = "postgres", pgtest.Database(t)
	runCrash(t, cfg)
}
