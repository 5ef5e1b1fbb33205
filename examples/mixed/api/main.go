// Command api is the Go half of ward's mixed example: a service that gets
// its database password from ward run and, to show the masker at work,
// prints it in the forms a careless program might (plain, base64, hex,
// JSON-escaped, byte by byte). Under ward run none of them reaches the log.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

func main() {
	pw, ok := os.LookupEnv("DB_PASSWORD")
	if !ok {
		fmt.Fprintln(os.Stderr, "api: DB_PASSWORD is not set; run me under ward run")
		os.Exit(2)
	}
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
	var db map[string]any
	if err := json.Unmarshal([]byte(os.Getenv("PAYMENTS_DB")), &db); err != nil || db["password"] != pw {
		fmt.Fprintln(os.Stderr, "api: PAYMENTS_DB does not hold the same password")
		os.Exit(1)
	}
	fmt.Println("api: PAYMENTS_DB agrees")
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
