package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
)

func TestCreateLogin(t *testing.T) {
	f := setup(t, nil)
	tests := []struct {
		name string
		req  auth.CreateRequest
		ok   bool
	}{
		{"orphan in an environment", auth.CreateRequest{Policies: []string{"ci"}, Env: "staging", EnvID: "env-1", TTL: 10 * time.Minute, Meta: map[string]string{"ci_run_id": "7"}}, true},
		{"no policies", auth.CreateRequest{Env: "staging", EnvID: "env-1"}, false},
		{"no environment", auth.CreateRequest{Policies: []string{"ci"}}, false},
		{"root", auth.CreateRequest{Policies: []string{"root"}}, false},
	}
	for _, tt := range tests {
		secret, tok, err := f.store.CreateLogin(f.ctx, tt.req)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.name, err)
			continue
		}
		if !tt.ok {
			continue
		}
		if tok.Parent != "" || tok.Env != "staging" || tok.Meta["ci_run_id"] != "7" || !f.valid(f.reopen(), secret) {
			t.Errorf("%s: %+v", tt.name, tok)
		}
	}
}

// Logins run in parallel with RevokeEnv (run with -race): every login
// token made before RevokeEnv was called is gone after it, and the logins
// around it neither fail nor deadlock.
func TestCreateLoginRevokeEnv(t *testing.T) {
	f := setup(t, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var before []string
	revoked := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for range 50 {
				select {
				case <-revoked:
					return
				default:
				}
				secret, _, err := f.store.CreateLogin(f.ctx, auth.CreateRequest{Policies: []string{"ci"}, Env: "staging", EnvID: "env-1", TTL: time.Hour})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				before = append(before, secret)
				mu.Unlock()
			}
		})
	}
	var made []string
	for deadline := time.Now().Add(10 * time.Second); len(made) < 10; {
		if time.Now().After(deadline) {
			t.Fatal("logins did not start")
		}
		mu.Lock()
		made = append(made[:0], before...)
		mu.Unlock()
	}
	if _, err := f.store.RevokeEnv(f.ctx, "env-1"); err != nil {
		t.Fatal(err)
	}
	close(revoked)
	wg.Wait()
	for _, s := range made {
		if _, err := f.store.Lookup(f.ctx, s); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatal("a login token made before RevokeEnv returned survived it")
		}
	}
}
