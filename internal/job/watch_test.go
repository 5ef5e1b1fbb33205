package job

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeTicks is Watcher.After driven by the test: each wait is recorded and
// lasts until tick is called.
type fakeTicks struct {
	mu    sync.Mutex
	waits []time.Duration
	ch    chan time.Time
}

func newFakeTicks() *fakeTicks { return &fakeTicks{ch: make(chan time.Time)} }

func (f *fakeTicks) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return f.ch
}

// tick ends the current wait: the Watcher then polls once.
func (f *fakeTicks) tick() { f.ch <- time.Time{} }

// fakeVault answers polls from a table the test edits.
type fakeVault struct {
	mu       sync.Mutex
	versions map[string]int
	errs     map[string]error
	polls    map[string]int
}

func (v *fakeVault) Poll(_ context.Context, path string) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.polls[path]++
	if err := v.errs[path]; err != nil {
		return 0, err
	}
	return v.versions[path], nil
}

func (v *fakeVault) pollsOf(path string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.polls[path]
}

func (v *fakeVault) set(path string, version int, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.versions[path], v.errs[path] = version, err
}

func TestWatcherReportsChanges(t *testing.T) {
	ticks := newFakeTicks()
	vault := &fakeVault{versions: map[string]int{"a": 1, "b": 4}, errs: map[string]error{}, polls: map[string]int{}}
	var mu sync.Mutex
	var warned []string
	got := make(chan []Change, 10)
	w := &Watcher{Poll: vault.Poll, After: ticks.After, Interval: 10 * time.Second, Rand: func() float64 { return 0.5 },
		Warn: func(path string, err error) {
			mu.Lock()
			warned = append(warned, fmt.Sprintf("%s: %v", path, err))
			mu.Unlock()
		}}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() {
		ran <- w.Run(ctx, map[string]int{"a": 1, "b": 4}, func(_ context.Context, cs []Change) { got <- cs })
	}()

	expect := func(step string, want []Change) {
		t.Helper()
		ticks.tick()
		ticks.tick() // the next wait starts only after the poll and its report
		select {
		case cs := <-got:
			if fmt.Sprint(cs) != fmt.Sprint(want) {
				t.Fatalf("%s: changes %v, want %v", step, cs, want)
			}
		default:
			if want != nil {
				t.Fatalf("%s: no change reported, want %v", step, want)
			}
		}
	}
	expect("nothing new", nil)
	vault.set("b", 5, nil)
	expect("a new version of b", []Change{{Path: "b", Version: 5}})
	expect("b again, unchanged", nil)
	vault.set("a", 0, errors.New("connection refused"))
	expect("a unreachable", nil)
	mu.Lock()
	if len(warned) == 0 || warned[len(warned)-1] != "a: connection refused" {
		t.Fatalf("warned %q, want a: connection refused", warned)
	}
	mu.Unlock()
	gone := fmt.Errorf("410 retired: %w", ErrRevoked)
	vault.set("a", 0, gone)
	vault.set("b", 6, nil)
	expect("a retired, b written", []Change{{Path: "a", Revoked: true, Err: gone}, {Path: "b", Version: 6}})
	polledA := vault.pollsOf("a")
	expect("a is no longer polled", nil)
	if n := vault.pollsOf("a"); n != polledA {
		t.Fatalf("a polled %d times after its revocation", n-polledA)
	}
	cancel()
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	ticks.mu.Lock()
	defer ticks.mu.Unlock()
	for i, d := range ticks.waits {
		if d != 10*time.Second { // Rand 0.5: no jitter
			t.Fatalf("wait %d = %v, want 10s", i, d)
		}
	}
}

func TestWatcherJitter(t *testing.T) {
	for _, tt := range []struct {
		r    float64
		want time.Duration
	}{{0, 27 * time.Second}, {0.5, 30 * time.Second}, {0.75, 31500 * time.Millisecond}} {
		w := &Watcher{Rand: func() float64 { return tt.r }}
		if got := w.wait(); got != tt.want {
			t.Errorf("rand %v: wait %v, want %v (default interval 30s ± 10%%)", tt.r, got, tt.want)
		}
	}
}
