package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/audit/audittest"
)

// FuzzVerify checks that Verify survives any input and that what it counts
// agrees with the lines it read, and that Open agrees with Verify.
func FuzzVerify(f *testing.F) {
	intact, err := audittest.Intact()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range audittest.Cases(intact) {
		f.Add(c.Log)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, log []byte) {
		n, err := audit.Verify(bytes.NewReader(log))
		lines := bytes.Count(log, []byte("\n"))
		var ce *audit.ChainError
		switch {
		case errors.As(err, &ce):
			if ce.Line < 1 || ce.Line > lines+1 || n != ce.Line-1 || ce.Reason == "" {
				t.Fatalf("Verify = %d, %v for %d lines", n, err, lines)
			}
		case err != nil:
			t.Fatalf("Verify: unexpected error %v", err)
		case n != lines || (len(log) > 0 && log[len(log)-1] != '\n'):
			t.Fatalf("Verify = %d entries, intact, for %d lines", n, lines)
		}
		// Open takes any file without panicking. A log that is intact, or
		// only torn at its end, it must resume: one more Write leaves it
		// intact with one more entry.
		resumable := err == nil || errors.Is(err, audit.ErrTorn)
		path := filepath.Join(dir, "audit.log")
		if err := os.WriteFile(path, log, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := audit.Open(audit.Config{Path: path, HMACKey: audittest.Key})
		if err != nil {
			if resumable {
				t.Fatalf("Open of a log that verifies: %v", err)
			}
			return
		}
		err = l.Write(context.Background(), &audit.Entry{Type: "request", Path: "p"})
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !resumable {
			return
		}
		b, _ := os.ReadFile(path)
		if m, err := audit.Verify(bytes.NewReader(b)); m != n+1 || err != nil {
			t.Fatalf("after one more Write: Verify = %d, %v; want %d, intact", m, err, n+1)
		}
	})
}
