package importer

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestDecryptSOPS encrypts a document with the real sops and an age key
// made for the test, and reads it back through DecryptSOPS. `make test`
// installs sops when it is missing; elsewhere the test is skipped.
func TestDecryptSOPS(t *testing.T) {
	if _, err := exec.LookPath("sops"); err != nil {
		if os.Getenv("WARD_TEST_SOPS_REQUIRED") == "1" {
			t.Fatal("sops is required (WARD_TEST_SOPS_REQUIRED=1) but not on PATH")
		}
		t.Skip("sops is not installed; `make test` installs it")
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "age.key")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)
	plain := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(plain, []byte("payments:\n  db:\n    password: sops-canary-pw\n    port: 5432\n"), 0o600)

	enc := exec.Command("sops", "--encrypt", "--age", id.Recipient().String(), "--input-type", "yaml", "--output-type", "yaml", plain)
	enc.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile)
	encrypted, err := enc.Output()
	if err != nil {
		t.Fatalf("sops --encrypt: %v", err)
	}
	if strings.Contains(string(encrypted), "sops-canary-pw") {
		t.Fatal("sops left the value in the clear")
	}
	file := filepath.Join(dir, "secrets.enc.yaml")
	os.WriteFile(file, encrypted, 0o600)
	os.Remove(plain)

	ctx := context.Background()
	body, err := DecryptSOPS(ctx, file, append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := ParseDocument(body, file, "")
	if err != nil || len(secrets) != 1 || secrets[0].Path != "payments/db" || secrets[0].Data["password"] != "sops-canary-pw" {
		t.Fatalf("%+v %v", secrets, err)
	}

	// Without the key: a clear error, no value, nothing decrypted.
	other, _ := age.GenerateX25519Identity()
	os.WriteFile(keyFile, []byte(other.String()+"\n"), 0o600)
	_, err = DecryptSOPS(ctx, file, append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile))
	if err == nil || !strings.Contains(err.Error(), "sops could not decrypt") || strings.Contains(err.Error(), "sops-canary-pw") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestDecryptSOPSWithoutSops(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := DecryptSOPS(context.Background(), "x.yaml", nil)
	if !errors.Is(err, ErrNoSops) || !strings.Contains(err.Error(), "ward import json -") {
		t.Fatalf("%v", err)
	}
}
