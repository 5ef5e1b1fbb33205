package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The mixed example under ward run --watch: the Go api and the Rust worker,
// each in a job of its own with --serve, both reload their signing key on
// one event, a new version of payments/signing: each prints the new key's
// fingerprint, and the key itself, masked. Revoking the jobs' database
// users then stops both (reload.revoked defaults to stop).
func TestMixedReloadOnRotation(t *testing.T) {
	programs := buildMixed(t)
	if programs["worker"] == "" {
		if os.Getenv("WARD_TEST_CARGO_REQUIRED") != "" {
			t.Fatal("no cargo, and WARD_TEST_CARGO_REQUIRED is set")
		}
		t.Skip("no cargo: the Rust worker cannot be built, and this test needs both halves (make test installs cargo where it can)")
	}
	pg := newPG(t)
	s := startDev(t, "")
	vc := vaultClient(t, s, s.Token)
	pg.configure(vc, "staging")
	body, _ := json.Marshal(map[string]any{"password": "Mx7q-payments-pw-2026", "host": "db.internal", "port": 5432, "user": "payments", "database": "payments"})
	s.mustWard(string(body), "kv", "put", "--env", "staging", "payments/db")
	const key1, key2 = "signing-key-one-5b8e2f0c7d", "signing-key-two-a91c4e6b30"
	s.mustWard(`{"key":"`+key1+`"}`, "kv", "put", "--env", "staging", "payments/signing")
	manifest, _ := filepath.Abs("../examples/mixed/ward.yaml")

	runs := map[string]*runningWard{}
	for _, component := range []string{"api", "worker"} {
		runs[component] = startRunFlags(t, s, manifest, t.TempDir(), nil, nil,
			[]string{"--component", component, "--watch", "--watch-interval", "1s"}, programs[component], "--serve")
	}
	line := func(component, key string) string {
		return fmt.Sprintf("%s: signing key %d bytes, fnv64 %016x: [masked:", component, len(key), fnv64(key))
	}
	for component, r := range runs {
		waitOut(t, r, &r.out, line(component, key1))
	}
	s.mustWard(`{"key":"`+key2+`"}`, "kv", "put", "--env", "staging", "payments/signing")
	for component, r := range runs {
		waitOut(t, r, &r.out, line(component, key2))
		waitOut(t, r, &r.errOut, "payments/signing version 2 is current; replaced signing/key; sent SIGHUP to ")
		if strings.Count(r.out.String(), component+": loaded ") != 1 {
			t.Errorf("%s was started again, not reloaded:\n%s", component, r.out.String())
		}
	}
	if err := vc.Sys().RevokePrefix("staging/database/creds/app"); err != nil {
		t.Fatal(err)
	}
	for component, r := range runs {
		if code := r.wait(t); code != 1 {
			t.Errorf("%s: exit %d, want 1 after its database user was revoked\nstderr: %s", component, code, r.errOut.String())
		}
		if !strings.Contains(r.errOut.String(), "stopped: database/creds/app was revoked") {
			t.Errorf("%s: stderr does not say the database user was revoked:\n%s", component, r.errOut.String())
		}
		all := r.out.String() + r.errOut.String()
		for _, v := range []string{key1, key2, "Mx7q-payments-pw-2026"} {
			if strings.Contains(all, v) {
				t.Errorf("%s: a value reached the output:\n%s", component, all)
			}
		}
		if r.code != 1 {
			continue
		}
		if st, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			t.Errorf("%s: ward itself was killed by %v", component, st.Signal())
		}
	}
}
