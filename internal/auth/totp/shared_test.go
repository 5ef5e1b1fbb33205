package totp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// mapStates is a StateStore in a map, standing for a store that several
// servers share.
type mapStates struct {
	mu sync.Mutex
	m  map[string]State
}

func (s *mapStates) Update(_ context.Context, id string, fn func(*State) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[id]
	if fn(&st) {
		s.m[id] = st
	}
	return nil
}

func (s *mapStates) Forget(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// Two Verifiers on one StateStore (two servers on one database): a code
// used on one is a replay on the other, and wrong codes on both add up to
// one lockout.
func TestVerifiersShareStates(t *testing.T) {
	shared := &mapStates{m: map[string]State{}}
	c := &clock{t: time.Unix(1111111111, 0)}
	a := NewVerifier(Config{Now: c.now, States: shared, MaxFailures: 3})
	b := NewVerifier(Config{Now: c.now, States: shared, MaxFailures: 3})

	good := code(t, c.t)
	if err := a.Verify("userpass/alice", secret, good); err != nil {
		t.Fatal(err)
	}
	if err := b.Verify("userpass/alice", secret, good); !errors.Is(err, ErrReplayed) {
		t.Fatalf("the code used on a, on b: %v, want ErrReplayed", err)
	}
	wrong := "000000"
	if wrong == good || wrong == code(t, c.t.Add(Period)) || wrong == code(t, c.t.Add(-Period)) {
		wrong = "000001"
	}
	// The replay above was the first failure; two more, one on each.
	for _, v := range []*Verifier{a, b} {
		if err := v.Verify("userpass/alice", secret, wrong); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("wrong code: %v", err)
		}
	}
	var rl *RateLimitError
	if err := a.Verify("userpass/alice", secret, code(t, c.t.Add(Period))); !errors.As(err, &rl) {
		t.Fatalf("after 3 failures over both, a: %v, want *RateLimitError", err)
	}
	if err := b.ForgetContext(context.Background(), "userpass/alice"); err != nil {
		t.Fatal(err)
	}
	if err := a.Verify("userpass/alice", secret, code(t, c.t.Add(Period))); err != nil {
		t.Fatalf("after Forget on b, a: %v", err)
	}
}
