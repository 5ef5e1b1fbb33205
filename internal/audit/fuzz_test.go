package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	f.Fuzz(func(t *testing.T, log []byte) { checkLog(t, dir, log) })
}

// FuzzVerifyRehashed gives each line of the input a matching hash before
// checking it as FuzzVerify does, so that the fuzzer reaches what Verify
// checks after a line's hash.
func FuzzVerifyRehashed(f *testing.F) {
	f.Add([]byte(`{"type":"request","seq":1,"prev":"` + strings.Repeat("0", 64) + `"` + "\n"))
	f.Add([]byte(`{"time":"t","type":"checkpoint","checkpoint":{"reason":"seal","seq":0,"head":"` + strings.Repeat("0", 64) + `","key":"ed25519:AAAA","sig":""},"seq":1,"prev":"` + strings.Repeat("0", 64) + `"` + "\n"))
	f.Add([]byte(`{"seq":1,"prev":"` + strings.Repeat("0", 64) + `"` + "\n" + `{"seq":2,"prev":"` + strings.Repeat("0", 64) + `"`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		var log []byte
		for line := range bytes.Lines(in) {
			body := bytes.TrimSuffix(line, []byte("\n"))
			sum := sha256.Sum256(body)
			log = append(log, body...)
			log = append(log, `,"hash":"`+hex.EncodeToString(sum[:])+`"}`...)
			if len(body) < len(line) {
				log = append(log, '\n')
			}
		}
		checkLog(t, dir, log)
	})
}

// checkLog checks that Verify's answer on log agrees with the lines it
// read, and that Open agrees with Verify.
func checkLog(t *testing.T, dir string, log []byte) {
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
}
