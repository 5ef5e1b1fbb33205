// Command api is the Go half of ward's mixed example: a service that gets
// its database password from ward run, through the loader ward codegen
// generated from ../ward.yaml (package secrets: typed, checked against the
// type postgres, printing as [redacted]). To show the masker at work, it
// then prints the password in the forms a careless program might (plain,
// base64, hex, JSON-escaped, byte by byte). Under ward run none of them
// reaches the log.
//
// With --serve it keeps running, as a service does, and reloads its
// signing key when ward run --watch gives it a new one: client.WatchSecrets
// calls back with the secrets loaded again when the file in
// $WARD_SECRETS_DIR is replaced and SIGHUP arrives.
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/examples/mixed/api/secrets"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--serve" {
		signal.Ignore(syscall.SIGHUP) // until WatchSecrets catches it: an early one must not end the service
	}
	s, err := secrets.Load()
	if err != nil {
		// Names the variable, the field and the rule; never a value.
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(2)
	}
	fmt.Printf("api: loaded %+v\n", s) // sensitive values print as [redacted]
	fmt.Printf("api: database %s:%d as %s\n", s.PaymentsDB.Host, s.PaymentsDB.Port, s.PaymentsDB.User)
	pw := s.DBPassword.Reveal()
	// What the test checks the program received, without printing it.
	fmt.Printf("api: received %d bytes, fnv64 %016x\n", len(pw), fnv64(pw))
	fmt.Printf("api: plain %s\n", pw)
	fmt.Printf("api: base64 %s\n", base64.StdEncoding.EncodeToString([]byte(pw)))
	fmt.Printf("api: hex %s\n", hex.EncodeToString([]byte(pw)))
	j, _ := json.Marshal(map[string]string{"password": pw})
	fmt.Printf("api: json %s\n", j)
	fmt.Fprint(os.Stderr, "api: bytes ")
	for i := 0; i < len(pw); i++ {
		os.Stderr.Write([]byte{pw[i]})
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(os.Stderr)
	if s.PaymentsDB.Password.Reveal() != pw {
		fmt.Fprintln(os.Stderr, "api: PAYMENTS_DB does not hold the same password")
		os.Exit(1)
	}
	fmt.Println("api: PAYMENTS_DB agrees")
	// The job's own database user, made by ward run for this job and
	// dropped when it ends: its name says where it came from.
	user := s.JobDBUser.Reveal()
	fmt.Printf("api: job database user from role app: %v, password %d bytes\n", strings.HasPrefix(user, "v-staging-app-"), len(s.JobDBPassword.Reveal()))
	if len(os.Args) > 1 && os.Args[1] == "--serve" {
		serve()
	}
}

// serve runs until killed, printing its signing key (as a service would
// start using it) each time ward run --watch hands it a new one.
func serve() {
	cfg := client.WatchConfig{OnError: func(err error) { fmt.Fprintln(os.Stderr, "api: keeping the secrets it has:", err) }}
	err := client.WatchSecrets(context.Background(), cfg, secrets.Load, func(s *secrets.Secrets) {
		if s.SigningKeyFile == nil {
			fmt.Println("api: no signing key")
			return
		}
		key := s.SigningKeyFile.Reveal()
		fmt.Printf("api: signing key %d bytes, fnv64 %016x: %s\n", len(key), fnv64(key), key)
	})
	fmt.Fprintln(os.Stderr, "api:", err)
	os.Exit(1)
}

// fnv64 is FNV-1a, the same in the Rust worker.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
