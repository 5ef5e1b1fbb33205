package audit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardhq/ward/internal/audit"
)

// The server writes an entry before it acts and one before it answers, and
// fails the request if either cannot be written. Verify checks the file.
func Example() {
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")
	key := make([]byte, 32) // the vault keeps the real one in encrypted storage

	log, err := audit.Open(audit.Config{Path: path, HMACKey: key})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	req := &audit.Entry{Type: "request", RequestID: "r1", Token: "ward_x", Path: "staging/data/payments/db", Operation: "read"}
	if err := log.Write(ctx, req); err != nil {
		fmt.Println("fail the request:", err)
		return
	}
	resp := *req
	resp.Type, resp.Status, resp.Data = "response", 200, map[string]any{"password": "s3cret"}
	if err := log.Write(ctx, &resp); err != nil {
		fmt.Println("fail the request:", err)
		return
	}
	log.Close()

	b, _ := os.ReadFile(path)
	fmt.Println("plain secret in the log:", strings.Contains(string(b), "s3cret"))
	fmt.Println("its HMAC in the log:", strings.Contains(string(b), log.HMAC("s3cret")))

	n, err := audit.Verify(strings.NewReader(string(b)))
	fmt.Println(n, "entries, error:", err)

	n, err = audit.Verify(strings.NewReader(strings.Replace(string(b), `"read"`, `"list"`, 1)))
	var ce *audit.ChainError
	fmt.Println(n, "entries,", errors.As(err, &ce), "line", ce.Line, errors.Is(err, audit.ErrBroken))
	// Output:
	// plain secret in the log: false
	// its HMAC in the log: true
	// 2 entries, error: <nil>
	// 0 entries, true line 1 true
}
