package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDevSeed: ward dev --seed applies a ward/ directory to a new store,
// with a synthetic value of its type in each secret it declares in dev and
// metadata only elsewhere; a reopened store is not seeded again; --seed ”
// (and the default, away from the repository) starts empty; a --seed that
// is not a directory is refused before anything starts.
func TestDevSeed(t *testing.T) {
	data := t.TempDir()
	s := startDev(t, data, "--seed", "../examples/ward")
	if logs := s.Logs(); !strings.Contains(logs, "seeded from ../examples/ward") || !strings.Contains(logs, "/ui/: sign in with Token") {
		t.Errorf("ward dev does not say what it seeded and how to sign in:\n%s", logs)
	}
	var got struct {
		Data     map[string]any `json:"data"`
		Metadata struct {
			Version int `json:"version"`
		} `json:"metadata"`
	}
	decodeJSON(t, s.mustWard("", "kv", "get", "--env", "dev", "payments/db", "--format", "json"), &got)
	if got.Metadata.Version != 1 || got.Data["password"] == nil || got.Data["host"] == nil {
		t.Errorf("dev/payments/db is not a postgres value at version 1: %+v", got)
	}
	meta := s.mustWard("", "kv", "metadata", "get", "--env", "dev", "payments/db")
	if !strings.Contains(meta, "synthetic") || !strings.Contains(meta, "team-payments") {
		t.Errorf("dev/payments/db's metadata:\n%s", meta)
	}
	// Staging and prod: the directory's metadata, no value.
	for _, env := range []string{"staging", "prod"} {
		meta := s.mustWard("", "kv", "metadata", "get", "--env", env, "api/stripe")
		if !strings.Contains(meta, "team-api") || strings.Contains(meta, "synthetic") {
			t.Errorf("%s/api/stripe's metadata:\n%s", env, meta)
		}
		if _, _, code := s.ward(s.Token, "", "kv", "get", "--env", env, "api/stripe"); code == 0 {
			t.Errorf("%s/api/stripe has a value", env)
		}
	}
	// The policies came along.
	if out := s.mustWard("", "policy", "list"); !strings.Contains(out, "ci-worker") {
		t.Errorf("policy list after seeding:\n%s", out)
	}

	// Reopened: not seeded again (still version 1).
	s.Stop()
	root := s.Token
	s = startDev(t, data, "--seed", "../examples/ward")
	s.Token = root
	if strings.Contains(s.Logs(), "seeded from") {
		t.Errorf("a reopened store was seeded again:\n%s", s.Logs())
	}
	decodeJSON(t, s.mustWard("", "kv", "get", "--env", "dev", "payments/db", "--format", "json"), &got)
	if got.Metadata.Version != 1 {
		t.Errorf("reopened: dev/payments/db at version %d, want 1", got.Metadata.Version)
	}

	// Empty: --seed '', and the default where there is no examples/ward.
	for _, args := range [][]string{{"--seed", ""}, nil} {
		e := startDev(t, "", args...)
		if out := e.mustWard("", "kv", "list", "--env", "dev"); strings.TrimSpace(out) != "" {
			t.Errorf("ward dev %q: dev holds secrets:\n%s", args, out)
		}
		if out := e.mustWard("", "policy", "list"); strings.Contains(out, "ci-worker") {
			t.Errorf("ward dev %q: the example's policies are there:\n%s", args, out)
		}
		e.Stop()
	}

	out, err := exec.Command(wardBin, "dev", "--listen", "127.0.0.1:0", "--seed", "no/such/dir").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--seed no/such/dir: not a directory") {
		t.Errorf("a --seed that is no directory: %v\n%s", err, out)
	}
}
