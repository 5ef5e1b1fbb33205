package startgc

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// gogc reads GOGC without setting it, as debug.SetGCPercent would.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

var resumedBefore bool

// The test binary starts as ward does: collection off from init, under
// the heap limit, until Resume, which puts the first collection off until
// the heap has doubled and GOGC back to 100 after it; a second Resume
// changes nothing.
func TestPausedUntilResume(t *testing.T) {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := os.LookupEnv(v); set {
			t.Skipf("%s is set: init leaves the collector alone", v)
		}
	}
	if resumedBefore {
		t.Skip("an earlier run of this test (-count) has resumed the collector")
	}
	resumedBefore = true
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent at start = %d, want -1 (off)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != heapLimit {
		t.Fatalf("memory limit at start = %d, want %d", got, heapLimit)
	}
	// What start-up leaves on the heap, in use.
	kept := make([][]byte, 8)
	for i := range kept {
		kept[i] = make([]byte, 1<<20)
	}
	Resume()
	// 8 MiB in use: the first collection at 16 MiB or more, which is
	// GOGC 400 or more.
	if got := gogc(); got < 400 {
		t.Errorf("GOGC after Resume = %d, want at least 400 (the first collection once 8 MiB in use have doubled)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit after Resume = %d, want none", got)
	}
	runtime.GC()
	for deadline := time.Now().Add(10 * time.Second); gogc() != 100; {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d ten seconds after a collection, want 100", gogc())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(kept)
	debug.SetGCPercent(42) // as ward server sets its own
	Resume()
	if got := debug.SetGCPercent(100); got != 42 {
		t.Fatalf("a second Resume changed the GC percent to %d", got)
	}
}

// A GOGC the program sets between Resume and the first collection stays:
// set through SetGCPercent, even the value Resume chose; set directly, a
// value other than Resume's.
func TestSettleKeepsTheProgramsGOGC(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(int) int
		to   int
	}{
		{"debug.SetGCPercent", debug.SetGCPercent, 42},
		{"startgc.SetGCPercent, the same value", SetGCPercent, 300},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := debug.SetGCPercent(300)
			defer func() {
				debug.SetGCPercent(old)
				own.Store(false)
			}()
			done := settleAfterCycle(300)
			tt.set(tt.to)
			runtime.GC()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("no finalizer ten seconds after a collection")
			}
			if got := gogc(); got != tt.to {
				t.Errorf("GOGC = %d after the first collection, want the program's %d", got, tt.to)
			}
		})
	}
}

func TestFirstPercent(t *testing.T) {
	for _, tt := range []struct {
		heap uint64
		want int
	}{
		{0, 100},
		{1 << 20, 100},
		{2 << 20, 100}, // doubled, 4 MiB: the runtime's own first goal
		{3 << 20, 150},
		{7 << 20, 350},
		{64 << 20, 3200},
	} {
		if got := firstPercent(tt.heap); got != tt.want {
			t.Errorf("firstPercent(%d MiB) = %d, want %d", tt.heap>>20, got, tt.want)
		}
	}
}
