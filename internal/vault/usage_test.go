package vault

import (
	"context"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/secrets"
)

func TestUsage(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	v, res := openTestVault(t, Config{Now: clock.Now})
	shares := res.Shares
	env, _ := v.CreateEnv(ctx, "prod")
	v.RecordRead(env, "payments/db", "token-ci-api", 3)
	clock.t = clock.t.Add(time.Minute)
	v.RecordRead(env, "payments/db", "token-indexer", 4)
	if err := v.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Minute)
	v.RecordRead(env, "payments/db", "token-ci-api", 4) // pending, not flushed
	u, err := v.SecretUsage(ctx, env, "payments/db")
	if err != nil {
		t.Fatal(err)
	}
	if u.LastReader != "token-ci-api" || !u.LastRead.Equal(clock.t) || u.Readers["token-ci-api"].Version != 4 || u.Readers["token-indexer"].Version != 4 {
		t.Fatalf("usage = %+v", u)
	}
	// Sealing writes what is pending; unsealing reads it back.
	clock.t = clock.t.Add(time.Minute)
	v.RecordRead(env, "payments/db", "token-deploy", 4)
	v.Seal()
	if _, err := v.Unseal(ctx, shares[0]); err != nil {
		t.Fatal(err)
	}
	env, _ = v.Env("prod")
	u, _ = v.SecretUsage(ctx, env, "payments/db")
	if u.LastReader != "token-deploy" || len(u.Readers) != 3 {
		t.Fatalf("usage after seal = %+v", u)
	}
	if u, _ := v.SecretUsage(ctx, env, "never/read"); !u.LastRead.IsZero() {
		t.Errorf("a secret never read: %+v", u)
	}
	v.RecordRead(env, "payments/db", "token-late", 4)
	if err := v.ForgetUsage(ctx, env, "payments/db"); err != nil {
		t.Fatal(err)
	}
	if u, _ := v.SecretUsage(ctx, env, "payments/db"); !u.LastRead.IsZero() || len(u.Readers) != 0 {
		t.Errorf("usage after ForgetUsage: %+v", u)
	}
}

func TestExpiringSecrets(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	v, _ := openTestVault(t, Config{Now: clock.Now})
	env, _ := v.CreateEnv(ctx, "prod")
	put := func(p string, cm map[string]string) {
		if _, err := env.kv.Put(ctx, p, []byte(`{"k":"v"}`), secrets.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := env.kv.SetMetadata(ctx, p, secrets.MetadataUpdate{CustomMetadata: cm}); err != nil {
			t.Fatal(err)
		}
	}
	put("a/expired", map[string]string{"expires_at": "2026-10-31T00:00:00Z", "owner": "pay"})
	put("a/soon", map[string]string{"expires_at": "2026-11-10T00:00:00Z"})
	put("a/later", map[string]string{"expires_at": "2027-01-01T00:00:00Z"})
	put("b/rotate", map[string]string{"rotate_every": "30d"})
	put("b/none", map[string]string{"owner": "x"})
	clock.t = clock.t.Add(20 * 24 * time.Hour) // Nov 21: b/rotate is due Dec 1
	got, err := v.ExpiringSecrets(ctx, []*Env{env}, 14*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		path, reason string
		overdue      bool
	}{{"a/expired", "expires_at", true}, {"a/soon", "expires_at", true}, {"b/rotate", "rotate_every", false}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].Path != w.path || got[i].Reason != w.reason || got[i].Overdue != w.overdue {
			t.Errorf("%d: got %+v, want %+v", i, got[i], w)
		}
	}
	if got[0].Owner != "pay" {
		t.Errorf("owner: %+v", got[0])
	}
}
