package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/storage/memory"
)

// TestAuditCheckpoints: the vault signs the audit chain's head on demand
// (as its timer does) and at seal, with a key that stays the same across
// seals; the log verifies against that key, and the checkpoint lines in the
// server's log are what `ward audit verify --checkpoints` reads.
func TestAuditCheckpoints(t *testing.T) {
	ctx := context.Background()
	var serverLog bytes.Buffer
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	v, err := Open(Config{Storage: memory.New(), AuditPath: auditPath, Logger: slog.New(slog.NewJSONHandler(&serverLog, nil))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	key, err := v.AuditCheckpointKey()
	if err != nil || !strings.HasPrefix(key, "ed25519:") {
		t.Fatalf("AuditCheckpointKey = %q, %v", key, err)
	}
	log := v.unsealed.audit
	write := func(path string) {
		if err := log.Write(ctx, &audit.Entry{Type: "request", Path: path}); err != nil {
			t.Fatal(err)
		}
	}
	write("a")
	if err := v.AuditCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	write("b")
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	if again, _ := v.AuditCheckpointKey(); again != key {
		t.Fatalf("the checkpoint key changed across a seal: %s, then %s", key, again)
	}
	v.Close()

	pub, err := audit.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(auditPath)
	rep, err := audit.VerifyLog(bytes.NewReader(b), audit.VerifyOptions{Key: pub})
	if err != nil || rep.Checkpoints != 3 || !rep.Sealed || rep.Unsigned != 0 {
		t.Fatalf("VerifyLog = %+v, %v; want 3 checkpoints (periodic, seal, seal), sealed", rep, err)
	}
	// The server's log carries each checkpoint line, ready to ship.
	var shipped bytes.Buffer
	for line := range bytes.Lines(serverLog.Bytes()) {
		var rec struct {
			Msg       string `json:"msg"`
			AuditLine string `json:"audit_line"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "audit checkpoint" {
			shipped.WriteString(rec.AuditLine + "\n")
		}
	}
	cps, err := audit.ReadCheckpoints(&shipped)
	if err != nil || len(cps) != 3 {
		t.Fatalf("checkpoints from the server's log: %d, %v", len(cps), err)
	}
	cut := b[:bytes.LastIndexByte(b[:len(b)-1], '\n')+1] // the last line cut off
	if _, err := audit.VerifyLog(bytes.NewReader(cut), audit.VerifyOptions{Key: pub, Shipped: cps}); !errors.Is(err, audit.ErrTruncated) {
		t.Fatalf("a cut log against the shipped checkpoints: %v, want ErrTruncated", err)
	}
}
