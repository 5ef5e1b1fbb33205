package userpass

import (
	"context"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/auth/failwindow"
)

// lockedUntil returns when name may try again, or the zero time if it may
// now, from Config.Failures or the Authenticator's memory.
func (a *Authenticator) lockedUntil(ctx context.Context, name string) (until time.Time, err error) {
	if a.cfg.Failures == nil {
		return a.lock.lockedUntil(name), nil
	}
	err = a.cfg.Failures.Update(ctx, name, func(f []time.Time) ([]time.Time, bool) {
		live := failwindow.Live(f, a.cfg.Now(), a.cfg.Window)
		if len(live) >= a.cfg.MaxFailures {
			until = live[0].Add(a.cfg.Window)
		}
		return live, len(live) != len(f)
	})
	return until, err
}

// fail records a failed login for name.
func (a *Authenticator) fail(ctx context.Context, name string) error {
	if a.cfg.Failures == nil {
		a.lock.fail(name)
		return nil
	}
	return a.cfg.Failures.Update(ctx, name, func(f []time.Time) ([]time.Time, bool) {
		now := a.cfg.Now()
		f = append(failwindow.Live(f, now, a.cfg.Window), now)
		if len(f) > a.cfg.MaxFailures {
			f = f[len(f)-a.cfg.MaxFailures:]
		}
		return f, true
	})
}

// reset forgets name's failures, after a successful login.
func (a *Authenticator) reset(ctx context.Context, name string) error {
	if a.cfg.Failures == nil {
		a.lock.reset(name)
		return nil
	}
	return a.cfg.Failures.Update(ctx, name, func(f []time.Time) ([]time.Time, bool) { return nil, len(f) > 0 })
}

// maxTracked bounds how many names the lockout remembers failures for.
// When it is full and no entry has expired, a name it cannot track is
// refused as if locked: a flood of made-up names must not open the way to
// unlimited guesses on a real one.
const maxTracked = 100_000

// lockout counts failed logins per normalised name within a window. It is
// safe for concurrent use.
type lockout struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // guarded by mu; oldest first, at most max
}

func newLockout(max int, window time.Duration, now func() time.Time) *lockout {
	return &lockout{max: max, window: window, now: now, failures: map[string][]time.Time{}}
}

// lockedUntil returns when name may try again, or the zero time if it may
// now.
func (l *lockout) lockedUntil(name string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.liveLocked(name, now)
	if len(f) >= l.max {
		return f[0].Add(l.window)
	}
	if f == nil && len(l.failures) >= maxTracked {
		l.pruneLocked(now)
		if len(l.failures) >= maxTracked {
			return now.Add(l.window)
		}
	}
	return time.Time{}
}

// fail records a failed login for name.
func (l *lockout) fail(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := append(l.liveLocked(name, now), now)
	if len(f) > l.max {
		f = f[len(f)-l.max:]
	}
	l.failures[name] = f
}

// reset forgets name's failures, after a successful login.
func (l *lockout) reset(name string) {
	l.mu.Lock()
	delete(l.failures, name)
	l.mu.Unlock()
}

// liveLocked returns name's failures still inside the window, dropping
// the others.
func (l *lockout) liveLocked(name string, now time.Time) []time.Time {
	f, ok := l.failures[name]
	if !ok {
		return nil
	}
	if f = failwindow.Live(f, now, l.window); f == nil {
		delete(l.failures, name)
		return nil
	}
	l.failures[name] = f
	return f
}

// pruneLocked drops every name whose failures have all left the window.
func (l *lockout) pruneLocked(now time.Time) {
	for name := range l.failures {
		l.liveLocked(name, now)
	}
}
