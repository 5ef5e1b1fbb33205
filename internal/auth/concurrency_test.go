package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
)

// TestConcurrentUse runs lookups, creations, renewals and revocations at
// once (run it with -race), with a cache small enough to evict, then checks
// that every revoked tree is gone and every other token is valid.
func TestConcurrentUse(t *testing.T) {
	f := setup(t, func(c *auth.Config) { c.CacheSize = 8 })
	const trees = 16
	type tree struct {
		secrets []string
		top     *auth.Token
	}
	all := make([]tree, trees)
	for i := range all {
		s, top := f.envToken(f.root, time.Hour, "a")
		all[i] = tree{secrets: []string{s}, top: top}
		parent := top
		for range 3 {
			s, child := f.envToken(parent, time.Hour, "a")
			all[i].secrets = append(all[i].secrets, s)
			parent = child
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 4 { // readers
		wg.Go(func() {
			for n := range 500 {
				tr := all[(g+n)%trees]
				_, err := f.store.Lookup(f.ctx, tr.secrets[n%len(tr.secrets)])
				if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() { // writer: create under, and renew, the even trees
		for n := range 100 {
			tr := all[(n*2)%trees]
			if _, _, err := f.store.Create(f.ctx, tr.top, auth.CreateRequest{}); err != nil && !errors.Is(err, auth.ErrInvalidToken) {
				errs <- err
			}
			if _, err := f.store.Renew(f.ctx, tr.top, time.Hour); err != nil {
				errs <- err
			}
		}
	})
	wg.Go(func() { // revoker: the odd trees
		for i := 1; i < trees; i += 2 {
			if err := f.store.Revoke(f.ctx, all[i].top); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, st := range []*auth.Store{f.store, f.reopen()} {
		for i, tr := range all {
			for _, s := range tr.secrets {
				if got := f.valid(st, s); got != (i%2 == 0) {
					t.Errorf("tree %d: valid %v", i, got)
				}
			}
		}
	}
}
