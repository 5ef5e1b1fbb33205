package barrier

import (
	"errors"
	"strings"
	"testing"
)

func TestEnvKeyLifecycle(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	if _, err := b.Get(ctx, "env/prod/k"); err == nil {
		t.Fatal("Get with no value and no key succeeded")
	}
	if err := b.Put(ctx, entry("env/prod/k", "v")); !errors.Is(err, ErrNoEnvKey) {
		t.Fatalf("Put before CreateEnvKey = %v, want ErrNoEnvKey", err)
	}
	for _, env := range []string{"prod", "staging"} {
		if err := b.CreateEnvKey(ctx, env); err != nil {
			t.Fatal(err)
		}
		put(t, b, "env/"+env+"/k", env+"-value")
	}
	if err := b.CreateEnvKey(ctx, "prod"); !errors.Is(err, ErrEnvKeyExists) {
		t.Fatalf("second CreateEnvKey = %v, want ErrEnvKeyExists", err)
	}
	put(t, b, "sys/k", "system")

	if err := b.DestroyEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	check := func(b *Barrier) {
		t.Helper()
		if _, err := b.Get(ctx, "env/prod/k"); !errors.Is(err, ErrNoEnvKey) {
			t.Fatalf("Get after DestroyEnvKey = %v, want ErrNoEnvKey", err)
		}
		if err := b.Put(ctx, entry("env/prod/k2", "v")); !errors.Is(err, ErrNoEnvKey) {
			t.Fatalf("Put after DestroyEnvKey = %v, want ErrNoEnvKey", err)
		}
		if get(t, b, "env/staging/k") != "staging-value" || get(t, b, "sys/k") != "system" {
			t.Fatal("other keyrings affected by DestroyEnvKey")
		}
	}
	check(b)
	check(f.open(t)) // and after a restart
	if err := b.DestroyEnvKey(ctx, "prod"); err != nil {
		t.Fatalf("destroying a destroyed key = %v, want nil", err)
	}
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatalf("Rotate after DestroyEnvKey: %v", err)
	}

	// A new key for the same id cannot read what the old one wrote.
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "env/prod/k"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Get of old data with a new key = %v, want ErrDecrypt", err)
	}
	put(t, b, "env/prod/k", "new")
	if get(t, f.open(t), "env/prod/k") != "new" {
		t.Fatal("new key does not read its own data after restart")
	}
}

func TestEnvKeyDestroyedZeroizes(t *testing.T) {
	b := newFixture(t, 0).open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	key := envScopeOf(t, b.open, "prod").ring.Load().terms[1].key
	if err := b.DestroyEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	for _, c := range key {
		if c != 0 {
			t.Fatal("destroyed key not zeroized")
		}
	}
}

func TestEnvIDs(t *testing.T) {
	b := newFixture(t, 0).open(t)
	for _, id := range []string{"", "a/b", "a\x00"} {
		if err := b.CreateEnvKey(ctx, id); err == nil {
			t.Errorf("CreateEnvKey(%q) succeeded", id)
		}
	}
	// Keys that are not under env/<id>/ use the system keyring.
	for _, key := range []string{"env", "env/", "env/prod", "environment/x"} {
		put(t, b, key, "v")
	}
	if err := b.Put(ctx, entry("env//k", "v")); !errors.Is(err, ErrNoEnvKey) {
		t.Fatalf("Put env//k = %v, want ErrNoEnvKey", err)
	}
}

// envScopeOf returns a loaded environment keyring.
func envScopeOf(t testing.TB, u *unsealed, id string) *scope {
	t.Helper()
	s, ok := u.env(id)
	if !ok {
		t.Fatalf("environment %q not loaded", id)
	}
	return s
}

// TestEnvKeyringBoundToItsID copies one environment's wrapped keyring over
// another's: it must not open.
func TestEnvKeyringBoundToItsID(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	for _, env := range []string{"prod", "staging"} {
		if err := b.CreateEnvKey(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	put(t, b, "env/prod/k", "v")
	f.plant(t, envRingPrefix+"staging", f.raw(t, envRingPrefix+"prod"))
	f.plant(t, "env/staging/k", f.raw(t, "env/prod/k"))
	b = f.open(t)
	if _, err := b.Get(ctx, "env/staging/k"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Get through a keyring moved to another environment = %v, want ErrDecrypt", err)
	}
}

// The barrier knows no key layout: the caller's KeyringOf alone decides
// which keyring seals a value. Without one, "env/prod/k" is an ordinary
// system value; with another layout, that layout's keys are the
// environment's.
func TestKeyringOfIsTheCallers(t *testing.T) {
	f := newFixture(t, 0)
	plain := New(Config{Storage: f.mem})
	unseal(t, plain, f.shares[0], f.shares[1])
	put(t, plain, "env/prod/k", "system value") // no environment key needed

	tenants := New(Config{Storage: f.mem, KeyringOf: func(key string) (string, bool) {
		id, rest, ok := strings.Cut(strings.TrimPrefix(key, "tenant-"), ".")
		return id, ok && strings.HasPrefix(key, "tenant-") && rest != ""
	}})
	unseal(t, tenants, f.shares[0], f.shares[1])
	if err := tenants.Put(ctx, entry("tenant-a.k", "v")); !errors.Is(err, ErrNoEnvKey) {
		t.Fatalf("a key the layout places in a keyless environment: %v", err)
	}
	if err := tenants.CreateEnvKey(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	put(t, tenants, "tenant-a.k", "v")
	if err := tenants.DestroyEnvKey(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := tenants.Get(ctx, "tenant-a.k"); !errors.Is(err, ErrNoEnvKey) {
		t.Fatalf("read after its keyring was destroyed: %v", err)
	}
	if got := get(t, tenants, "env/prod/k"); got != "system value" {
		t.Fatalf("env/prod/k = %q", got)
	}
}
