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
	"runtime/debug"
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
// (GOGC 100, no memory limit). It does nothing if init left the collector
// alone, or after the first call.
func Resume() {
	if !paused {
		return
	}
	paused = false
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
}
