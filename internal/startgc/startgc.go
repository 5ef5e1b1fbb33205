// Package startgc keeps the garbage collector off while a ward process
// starts. Package initialisation allocates about 3 MB, most of it the
// JSON Schema library compiling its meta-schemas, which is enough to start
// a collection that frees almost nothing: on every start of every command,
// ward run's among them (its start-up is a figure of its own, issue 13).
// cmd/ward imports this package for its init, which runs before the
// costly ones, and calls Resume once it knows the command: at once for
// most, once the child has started for ward run, which keeps collection
// off through its own start.
//
// GOGC or GOMEMLIMIT in the environment leaves the collector alone.
package startgc

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
)

// heapLimit bounds the heap while collection is off: past it the
// collector runs anyway.
const heapLimit = 64 << 20

// paused is whether init turned collection off and Resume has not yet
// turned it back on.
var paused bool

func init() {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := syscall.Getenv(v); set {
			return
		}
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(heapLimit)
	paused = true
}

// Paused reports whether collection is still off since init.
func Paused() bool { return paused }

// Resume gives the collector back the settings the runtime starts with
// (GOGC 100, no memory limit), from its next collection on. It does nothing
// if init left the collector alone, or after the first call.
//
// What start-up built is mostly still in use, and already past the goal
// GOGC 100 sets for a first collection (4 MB): turned on as it is, the
// collector would start at once and mark it all, which a short command
// (ward run of a quick child) pays for and gains nothing from. The first
// collection comes instead when the heap has doubled from its size now,
// and GOGC is 100 from the end of it.
func Resume() {
	if !paused {
		return
	}
	paused = false
	debug.SetMemoryLimit(math.MaxInt64)
	percent := firstPercent(heapInUse())
	debug.SetGCPercent(percent)
	if percent != 100 {
		settleAfterCycle(percent)
	}
}

// SetGCPercent is debug.SetGCPercent for a program that chooses its own
// GOGC (ward server): the 100 that Resume has yet to set after the first
// collection does not replace it.
func SetGCPercent(percent int) int {
	own.Store(true)
	return debug.SetGCPercent(percent)
}

// own is whether the program has chosen its GOGC through SetGCPercent.
var own atomic.Bool

// settleAfterCycle sets GOGC back to 100 after the next collection, unless
// the program has chosen its own meanwhile (SetGCPercent, or a value other
// than percent). The returned channel is closed once that is done.
func settleAfterCycle(percent int) <-chan struct{} {
	done := make(chan struct{})
	runtime.SetFinalizer(&cycleMark{}, func(*cycleMark) {
		defer close(done)
		if own.Load() {
			return
		}
		if prev := debug.SetGCPercent(100); prev != percent {
			debug.SetGCPercent(prev)
		}
	})
	return done
}

// cycleMark is garbage from the moment settleAfterCycle makes one: its
// finalizer runs after the next collection. (A pointer keeps it out of
// the tiny allocator, whose blocks may outlive it.)
type cycleMark struct{ _ *byte }

// firstHeapGoal is the heap at which the runtime starts its first
// collection under GOGC 100; the goal scales with GOGC.
const firstHeapGoal = 4 << 20

// firstPercent is the GOGC under which the first collection starts when
// the heap, now heap bytes, has doubled: at least 100.
func firstPercent(heap uint64) int {
	return int(max(100, 100*2*heap/firstHeapGoal))
}

// heapInUse returns the bytes of heap objects, from runtime/metrics, which
// does not stop the world as runtime.ReadMemStats does.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
