package job

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"
)

// ErrRevoked is matched (errors.Is) by a Poll error that means the secret
// is gone for good: not found, retired, its current version deleted or
// destroyed, or its lease revoked.
var ErrRevoked = errors.New("revoked")

// Change is what a Watcher noticed about one watched secret.
type Change struct {
	Path    string
	Version int   // the new current version; 0 when Revoked
	Revoked bool  // gone for good; the Watcher no longer polls it
	Err     error // why it counts as revoked (matches ErrRevoked); public
}

// DefaultWatchInterval and MinWatchInterval bound Watcher.Interval.
const (
	DefaultWatchInterval = 30 * time.Second
	MinWatchInterval     = time.Second
)

// Watcher polls the versions of the secrets a running child holds and
// reports what changed. The zero value of each optional field is
// documented beside it.
type Watcher struct {
	// Poll returns the current version of the secret at path, or an error
	// that matches ErrRevoked when it is gone for good. Any other error
	// is passed to Warn and the secret is polled again next time.
	Poll func(ctx context.Context, path string) (int, error)
	// Interval is the time between two polls; each wait is drawn in
	// Interval ± 10%, so that many jobs started together spread their
	// polls. 0: DefaultWatchInterval.
	Interval time.Duration
	// After waits d, like time.After. nil: time.After; tests inject a
	// fake clock.
	After func(d time.Duration) <-chan time.Time
	// Rand returns a number in [0, 1) for the jitter. nil: math/rand/v2.
	Rand func() float64
	// Warn is told of a poll that failed for another reason than a
	// revocation. nil: such failures are ignored.
	Warn func(path string, err error)
}

// Run polls every path of versions (path to the version the child holds;
// the map is not kept) each Interval and calls changed with what changed
// since the last poll, in path order, until ctx is done. A change is
// reported once: a new version becomes the one held whatever changed does
// with it, and a revoked path is dropped. Run returns ctx's error.
func (w *Watcher) Run(ctx context.Context, versions map[string]int, changed func(context.Context, []Change)) error {
	held := make(map[string]int, len(versions))
	for p, v := range versions {
		held[p] = v
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.after(w.wait()):
		}
		if cs := w.poll(ctx, held); len(cs) > 0 && ctx.Err() == nil {
			changed(ctx, cs)
		}
	}
}

// poll asks for each held path's version once and updates held.
func (w *Watcher) poll(ctx context.Context, held map[string]int) []Change {
	paths := make([]string, 0, len(held))
	for p := range held {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var out []Change
	for _, p := range paths {
		v, err := w.Poll(ctx, p)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrRevoked):
			delete(held, p)
			out = append(out, Change{Path: p, Revoked: true, Err: err})
		case err != nil:
			if w.Warn != nil {
				w.Warn(p, err)
			}
		case v != held[p]:
			held[p] = v
			out = append(out, Change{Path: p, Version: v})
		}
	}
	return out
}

// wait is Interval with ±10% jitter.
func (w *Watcher) wait() time.Duration {
	iv := w.Interval
	if iv <= 0 {
		iv = DefaultWatchInterval
	}
	r := rand.Float64
	if w.Rand != nil {
		r = w.Rand
	}
	return iv + time.Duration((r()*2-1)*float64(iv)/10)
}

func (w *Watcher) after(d time.Duration) <-chan time.Time {
	if w.After != nil {
		return w.After(d)
	}
	return time.After(d)
}
