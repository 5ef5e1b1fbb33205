// Package vaulttest gives tests a real vault: real barrier, real audit log
// on disk, storage in memory unless the test gives its own, initialised
// with one unseal key, unsealed, with the environments the test names.
//
//	tv := vaulttest.New(t, vault.Config{}, "dev", "staging", "prod")
//	srv := server.New(server.Config{Vault: tv.Vault})
//	// tv.Root is the root token; tv.Seal/tv.Unseal cycle the vault.
//
// It replaces the init/unseal/create-environments sequence each test
// package used to repeat.
package vaulttest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/vault"
)

// Vault is an unsealed vault with what a test needs to drive it.
type Vault struct {
	*vault.Vault
	t testing.TB
	// Root is the root token Init made.
	Root string
	// Share is the single unseal key.
	Share []byte
	// Storage is the untrusted store under the barrier: a test can read
	// or tamper with ciphertexts there.
	Storage storage.Backend
	// AuditPath is the audit log file.
	AuditPath string
}

// New opens a vault with cfg, whose zero Storage is a new in-memory store
// and whose zero AuditPath is a file in t.TempDir(); initialises it with
// one key; unseals it; creates envs. The vault is closed when the test
// ends. Any failure fails the test at once.
func New(t testing.TB, cfg vault.Config, envs ...string) *Vault {
	t.Helper()
	ctx := context.Background()
	if cfg.Storage == nil {
		cfg.Storage = memory.New()
	}
	if cfg.AuditPath == "" {
		cfg.AuditPath = filepath.Join(t.TempDir(), "audit.log")
	}
	v, err := vault.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	tv := &Vault{Vault: v, t: t, Root: res.RootToken, Share: res.Shares[0], Storage: cfg.Storage, AuditPath: cfg.AuditPath}
	tv.Unseal()
	for _, name := range envs {
		tv.CreateEnv(name)
	}
	return tv
}

// Unseal unseals the vault with its key, failing the test on an error.
func (tv *Vault) Unseal() {
	tv.t.Helper()
	st, err := tv.Vault.Unseal(context.Background(), tv.Share)
	if err != nil {
		tv.t.Fatal(err)
	}
	if st.Sealed {
		tv.t.Fatal("vaulttest: still sealed after the unseal key")
	}
}

// CreateEnv creates environment name, failing the test on an error.
func (tv *Vault) CreateEnv(name string) *vault.Env {
	tv.t.Helper()
	env, err := tv.Vault.CreateEnv(context.Background(), name)
	if err != nil {
		tv.t.Fatal(err)
	}
	return env
}
