package main

import (
	"runtime/debug"
	"sync"

	"github.com/wardhq/ward/internal/mask"
	"github.com/wardhq/ward/internal/startgc"
)

// How ward run keeps its own start short (issue 13: at most 10 ms over
// the bare command with 50 secrets). The masker is built on a goroutine of
// its own while the secret files are written and the child starts (its
// output waits for the masker: job.Child.MaskLater), and no garbage is
// collected while ward starts, below startHeapLimit: the heap then holds
// little else than what it keeps (the values, the masker).

// startHeapLimit bounds the heap while collection is paused; past it the
// garbage collector runs as usual (many secrets, or many forms of each).
const startHeapLimit = 64 << 20

// pauseGC stops garbage collection until the heap reaches startHeapLimit,
// and returns the function that restores both settings; calling it again
// does nothing. Started as a command, ward finds collection still off
// since its packages initialised (startgc, under the same limit), and
// keeps it off.
func pauseGC() (resume func()) {
	if startgc.Paused() {
		return sync.OnceFunc(startgc.Resume)
	}
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(startHeapLimit)
	return sync.OnceFunc(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

// builtMatcher is the outcome of a masker built in the background: the
// matcher (nil for nothing to mask), the warnings of its build (printed by
// the goroutine that takes it, so that they never interleave with other
// writes to stderr) and the error.
type builtMatcher struct {
	m        *mask.Matcher
	warnings []string
	err      error
}

// matcherLater starts build on a new goroutine, with a warn that gathers
// the warnings, and returns the function that waits for it, prints the
// warnings with warn and returns the matcher: a job.Child.MaskLater.
func matcherLater(build func(warn func(string)) (*mask.Matcher, error), warn func(string)) func() (*mask.Matcher, error) {
	done := make(chan builtMatcher, 1)
	go func() {
		var b builtMatcher
		b.m, b.err = build(func(msg string) { b.warnings = append(b.warnings, msg) })
		done <- b
	}()
	return sync.OnceValues(func() (*mask.Matcher, error) {
		b := <-done
		for _, w := range b.warnings {
			warn(w)
		}
		return b.m, b.err
	})
}
