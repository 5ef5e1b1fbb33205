package vault

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage/memory"
)

// This package's tests reach into the vault, so they cannot use package
// vaulttest (which imports this one); openTestVault is its twin here.

// openTestVault opens a vault with cfg (zero Storage: a new memory store;
// zero AuditPath: a file in a temporary directory), initialises it with
// one key, unseals it and creates envs. It returns the vault and its init
// result (shares and root token); the vault is closed when the test ends.
func openTestVault(t testing.TB, cfg Config, envs ...string) (*Vault, *InitResult) {
	t.Helper()
	ctx := context.Background()
	if cfg.Storage == nil {
		cfg.Storage = memory.New()
	}
	if cfg.AuditPath == "" {
		cfg.AuditPath = filepath.Join(t.TempDir(), "audit.log")
	}
	v, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if _, err := v.CreateEnv(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return v, res
}

// newTestVault is an empty vault over memory, with its root token.
func newTestVault(t *testing.T) (*Vault, string) {
	t.Helper()
	v, res := openTestVault(t, Config{})
	return v, res.RootToken
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }
