package main

import (
	"errors"
	"math"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/mask"
)

// pauseGC turns collection off below startHeapLimit, and its resume puts
// back the settings it found, once.
func TestPauseGCRestores(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(77))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	resume := pauseGC()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("GC percent while paused: %d, want -1 (off)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != startHeapLimit {
		t.Errorf("memory limit while paused: %d, want %d", l, startHeapLimit)
	}
	resume()
	if p := debug.SetGCPercent(50); p != 77 {
		t.Errorf("GC percent after resume: %d, want 77", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit after resume: %d, want none", l)
	}
	resume()
	if p := debug.SetGCPercent(-1); p != 50 {
		t.Errorf("a second resume set the GC percent to %d", p)
	}
}

// matcherLater's warnings come out when the matcher is taken, on the
// taker's goroutine, once; the build's error comes with it.
func TestMatcherLater(t *testing.T) {
	var printed []string
	warn := func(msg string) { printed = append(printed, msg) }
	release := make(chan struct{})
	later := matcherLater(func(w func(string)) (*mask.Matcher, error) {
		w("first")
		<-release
		w("second")
		m, _, err := mask.NewMatcher([]mask.Secret{{Name: "app/db.password", Value: []byte("s3cr3t-value-0123456789")}}, mask.Options{})
		return m, err
	}, warn)
	if len(printed) != 0 {
		t.Fatalf("warnings before the matcher was taken: %q", printed)
	}
	close(release)
	if m, err := later(); m == nil || err != nil {
		t.Fatalf("matcher %v, %v", m, err)
	}
	later()
	if !slices.Equal(printed, []string{"first", "second"}) {
		t.Fatalf("warnings %q", printed)
	}
	failed := errors.New("cannot build")
	later = matcherLater(func(func(string)) (*mask.Matcher, error) { return nil, failed }, warn)
	if _, err := later(); !errors.Is(err, failed) {
		t.Fatalf("error %v", err)
	}
}
