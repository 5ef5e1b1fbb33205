package startgc

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// The test binary starts as ward does: collection off from init, under
// the heap limit, until Resume; a second Resume changes nothing.
func TestPausedUntilResume(t *testing.T) {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := os.LookupEnv(v); set {
			t.Skipf("%s is set: init leaves the collector alone", v)
		}
	}
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent at start = %d, want -1 (off)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != heapLimit {
		t.Fatalf("memory limit at start = %d, want %d", got, heapLimit)
	}
	Resume()
	if got := debug.SetGCPercent(-1); got != 100 {
		t.Fatalf("GC percent after Resume = %d, want 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit after Resume = %d, want none", got)
	}
	debug.SetGCPercent(42) // as ward server sets its own
	Resume()
	if got := debug.SetGCPercent(100); got != 42 {
		t.Fatalf("a second Resume changed the GC percent to %d", got)
	}
}
