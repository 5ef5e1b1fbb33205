package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/auth"
)

func TestRenewCaps(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name      string
		parentTTL time.Duration // 0: child of root
		req       auth.CreateRequest
		elapsed   time.Duration // before the renewal
		increment time.Duration
		want      time.Duration // expiry after renewal, from the child's creation
	}{
		{"by increment", 0, auth.CreateRequest{TTL: time.Hour}, 30 * time.Minute, 2 * time.Hour, 150 * time.Minute},
		{"by its TTL", 0, auth.CreateRequest{TTL: time.Hour}, 30 * time.Minute, 0, 90 * time.Minute},
		{"explicit max", 0, auth.CreateRequest{TTL: time.Hour, ExplicitMaxTTL: 100 * time.Minute}, 50 * time.Minute, time.Hour, 100 * time.Minute},
		{"system max", 0, auth.CreateRequest{TTL: 30 * day}, 20 * day, 30 * day, 32 * day},
		{"parent's expiry", 3 * time.Hour, auth.CreateRequest{TTL: time.Hour}, 30 * time.Minute, 5 * time.Hour, 3 * time.Hour},
		{"never shortens", 0, auth.CreateRequest{TTL: time.Hour}, 10 * time.Minute, time.Minute, time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, nil)
			secret, tok := f.create(f.parentWithTTL(c.parentTTL), inStaging(c.req))
			f.clock.Add(c.elapsed)
			got, err := f.store.Renew(f.ctx, tok, c.increment)
			if err != nil {
				t.Fatal(err)
			}
			if want := tok.CreatedAt.Add(c.want); !got.ExpiresAt.Equal(want) {
				t.Errorf("expires %v after creation, want %v", got.ExpiresAt.Sub(tok.CreatedAt), c.want)
			}
			if !got.LastRenewal.Equal(f.clock.Now()) || got.TTL != tok.TTL {
				t.Errorf("LastRenewal %v TTL %v", got.LastRenewal, got.TTL)
			}
			// The renewal is seen by the cache and by storage.
			for _, st := range []*auth.Store{f.store, f.reopen()} {
				seen, err := st.Lookup(f.ctx, secret)
				if err != nil || !seen.ExpiresAt.Equal(got.ExpiresAt) {
					t.Errorf("Lookup after Renew: %v, expiry %v", err, seen)
				}
			}
		})
	}
}

func TestRenewRefuses(t *testing.T) {
	f := setup(t, nil)
	if _, err := f.store.Renew(f.ctx, f.root, 0); !errors.Is(err, auth.ErrNotRenewable) {
		t.Errorf("root: %v, want ErrNotRenewable", err)
	}
	no := false
	_, fixed := f.create(f.root, auth.CreateRequest{Policies: []string{"a"}, Env: "s", EnvID: "e", Renewable: &no})
	if _, err := f.store.Renew(f.ctx, fixed, 0); !errors.Is(err, auth.ErrNotRenewable) {
		t.Errorf("non-renewable: %v, want ErrNotRenewable", err)
	}
	_, tok := f.envToken(f.root, time.Hour, "a")
	var bad *auth.RequestError
	if _, err := f.store.Renew(f.ctx, tok, -time.Second); !errors.As(err, &bad) {
		t.Errorf("negative increment: %v", err)
	}
	f.clock.Add(time.Hour)
	if _, err := f.store.Renew(f.ctx, tok, 0); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("expired: %v, want ErrInvalidToken", err)
	}
	_, tok = f.envToken(f.root, time.Hour, "a")
	if err := f.store.Revoke(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Renew(f.ctx, tok, 0); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("revoked: %v, want ErrInvalidToken", err)
	}
}

// TestRenewUsesStoredState renews by accessor alone (a hand-made *Token) and
// checks that a stale copy cannot undo a renewal.
func TestRenewUsesStoredState(t *testing.T) {
	f := setup(t, nil)
	_, tok := f.envToken(f.root, time.Hour, "a")
	first, err := f.store.Renew(f.ctx, &auth.Token{Accessor: tok.Accessor}, 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stale := *tok
	stale.ExplicitMaxTTL = time.Minute
	second, err := f.store.Renew(f.ctx, &stale, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !second.ExpiresAt.Equal(first.ExpiresAt) || second.ExplicitMaxTTL != 0 {
		t.Errorf("a stale token changed the renewal: %v %v", second.ExpiresAt, second.ExplicitMaxTTL)
	}
}
