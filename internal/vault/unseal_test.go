package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage/memory"
)

// A right key that cannot finish opening the vault (here: the audit log's
// directory does not exist) is an error that says why, not a silent
// "still sealed".
func TestUnsealReportsOpenFailure(t *testing.T) {
	ctx := context.Background()
	badPath := filepath.Join(t.TempDir(), "missing-dir", "audit.log")
	v, err := Open(Config{Storage: memory.New(), AuditPath: badPath})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := v.Unseal(ctx, res.Shares[0])
	var oe *OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("Unseal = %v, want an *OpenError", err)
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing-dir") {
		t.Errorf("the error does not say what failed: %v", err)
	}
	if !st.Sealed || !v.Sealed() {
		t.Error("the vault is open after a failed open")
	}
}

// Log lines carry the text of errors whose packages promise public
// messages, and only the types of others.
func TestErrorLogArgs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Error("x", ErrorLogArgs(&OpenError{Err: errors.New("no audit key")}, "request_id", "r1")...)
	if !strings.Contains(buf.String(), "no audit key") || !strings.Contains(buf.String(), "request_id=r1") {
		t.Errorf("public message missing: %s", buf.String())
	}
	buf.Reset()
	var v any
	jerr := json.Unmarshal([]byte(`{s3cr3t`), &v) // encoding/json quotes its input
	log.Error("x", ErrorLogArgs(&OpenError{Err: jerr})...)
	if strings.Contains(buf.String(), "invalid character") || !strings.Contains(buf.String(), "*json.SyntaxError") {
		t.Errorf("a foreign error's text was logged, or its type was not: %s", buf.String())
	}
}

// Init refuses share counts that cannot make a safe seal, before
// touching the store.
func TestInitRefusesUnsafeShares(t *testing.T) {
	ctx := context.Background()
	v, err := Open(Config{Storage: memory.New(), AuditPath: filepath.Join(t.TempDir(), "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, c := range [][2]int{{0, 0}, {3, 4}, {256, 2}, {3, 1}, {2, 0}} {
		var r *Refusal
		if _, err := v.Init(ctx, c[0], c[1]); !errors.As(err, &r) || r.Kind != KindInvalid {
			t.Errorf("Init(%d, %d) = %v, want a refusal", c[0], c[1], err)
		}
	}
	if ok, _ := v.Initialized(ctx); ok {
		t.Error("a refused Init initialised the store")
	}
}
