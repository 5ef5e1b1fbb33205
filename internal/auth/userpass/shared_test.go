package userpass

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// mapFailures is a FailureStore in a map, standing for a store that
// several servers share.
type mapFailures struct {
	mu sync.Mutex
	m  map[string][]time.Time
}

func (s *mapFailures) Update(_ context.Context, name string, fn func([]time.Time) ([]time.Time, bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if next, changed := fn(s.m[name]); changed {
		if len(next) == 0 {
			delete(s.m, name)
		} else {
			s.m[name] = next
		}
	}
	return nil
}

// Two Authenticators on one FailureStore (two servers on one database)
// count one name's failures together: failures on either lock the name on
// both, and a success on either clears them for both.
func TestLockoutSharedByTwoAuthenticators(t *testing.T) {
	ctx := context.Background()
	shared := &mapFailures{m: map[string][]time.Time{}}
	a, st, _, clk := setup(t, Config{MaxFailures: 3, Window: 15 * time.Minute, Failures: shared})
	b := NewAuthenticator(Config{MaxFailures: 3, Window: 15 * time.Minute, Failures: shared, Hasher: a.cfg.Hasher, Params: cheap, Now: clk.now})

	for i, auth := range []*Authenticator{a, b, a} {
		if _, err := auth.Login(ctx, st, "alice", "wrong password"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d: %v", i, err)
		}
		clk.advance(time.Minute)
	}
	for name, auth := range map[string]*Authenticator{"a": a, "b": b} {
		var le *LockedError
		if _, err := auth.Login(ctx, st, "alice", "correct horse"); !errors.As(err, &le) {
			t.Fatalf("%s after 3 failures spread over both: %v, want *LockedError", name, err)
		}
	}
	clk.advance(15 * time.Minute)
	if _, err := b.Login(ctx, st, "alice", "correct horse"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if len(shared.m) != 0 {
		t.Fatalf("a success left failures in the store: %v", shared.m)
	}
	for i := range 2 {
		if _, err := a.Login(ctx, st, "alice", "wrong password"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d after the success: %v", i, err)
		}
	}
	if _, err := b.Login(ctx, st, "alice", "correct horse"); err != nil {
		t.Fatalf("two failures after a success on the other locked the name: %v", err)
	}
}
