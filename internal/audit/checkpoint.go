package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Checkpoints. The hash chain needs no key, so anyone able to write the file
// can change a line and recompute every hash after it, or cut lines off its
// end, and the chain still verifies. A checkpoint closes that: a line of
// type "checkpoint" in which the vault signs the chain's head (the seq and
// hash of the line before it) with an Ed25519 key kept under the barrier.
// Only the vault can sign, anyone with the public key can check:
//
//   - a line changed and the chain recomputed before a checkpoint: the
//     checkpoint's head no longer matches (ErrRebuilt), and a checkpoint
//     rewritten to match no longer verifies (ErrBadCheckpoint);
//   - lines cut off the end: only the lines after the last checkpoint can go
//     unnoticed, and none can if the checkpoints are also kept elsewhere
//     (VerifyOptions.Shipped reports ErrTruncated).
//
// The vault writes one periodically while entries come in and one when it
// seals, so a log that ends with a "seal" checkpoint was closed cleanly.
//
// A checkpoint line is an ordinary chained line:
//
//	{"time":"…","type":"checkpoint","checkpoint":{"reason":"seal","seq":41,
//	 "head":"<hash of line 41>","key":"ed25519:<public key, base64>",
//	 "sig":"<base64>"},"seq":42,"prev":"<hash of line 41>","hash":"…"}
//
// and "sig" signs checkpointMessage of its reason, seq, head and time.

// Checkpoint reasons.
const (
	CheckpointPeriodic = "periodic"
	CheckpointSeal     = "seal"
)

// Errors of checkpoints, found with errors.Is in a *ChainError.
var (
	// ErrBadCheckpoint: a checkpoint's signature does not verify, or it is
	// signed by another key than the trusted one.
	ErrBadCheckpoint = errors.New("audit checkpoint does not verify")
	// ErrRebuilt: a checkpoint signs a head the chain no longer has: lines
	// before it were changed and the chain recomputed.
	ErrRebuilt = errors.New("audit log was rebuilt")
	// ErrTruncated: a checkpoint kept elsewhere signs an entry the log no
	// longer has: lines were cut off its end.
	ErrTruncated = errors.New("audit log was truncated")
	// ErrNoCheckpointKey: Log.Checkpoint without Config.CheckpointKey.
	ErrNoCheckpointKey = errors.New("audit log has no checkpoint key")
)

// Checkpoint is a signed chain head, as read from a checkpoint line.
type Checkpoint struct {
	Reason string `json:"reason"`
	Seq    uint64 `json:"seq"`  // the entry signed: the line before the checkpoint
	Head   string `json:"head"` // that entry's hash
	Key    string `json:"key"`  // "ed25519:<base64>"
	Sig    string `json:"sig"`  // base64
	Time   string `json:"-"`    // the checkpoint line's time member, signed too
}

// KeyString is the public form of a checkpoint key: "ed25519:<base64>".
func KeyString(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// ParseKey reads a key in the form KeyString writes.
func ParseKey(s string) (ed25519.PublicKey, error) {
	b64, ok := strings.CutPrefix(s, "ed25519:")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New(`not a checkpoint key: want "ed25519:" and 32 bytes in base64`)
	}
	return ed25519.PublicKey(raw), nil
}

// checkpointMessage is what a checkpoint's signature covers.
func checkpointMessage(reason string, seq uint64, head, time string) []byte {
	return fmt.Appendf(nil, "ward audit checkpoint v1\n%s\n%d\n%s\n%s", reason, seq, head, time)
}

// encodeCheckpoint returns the JSON object, without its closing brace, of a
// checkpoint of head h at now.
func encodeCheckpoint(key ed25519.PrivateKey, reason string, h head, now time.Time) []byte {
	ts := now.UTC().Format(time.RFC3339Nano)
	sig := ed25519.Sign(key, checkpointMessage(reason, h.seq, h.hash, ts))
	buf := make([]byte, 0, 384)
	buf = append(buf, `{"time":"`...)
	buf = append(buf, ts...)
	buf = append(buf, `","type":"checkpoint","checkpoint":{"reason":`...)
	buf = appendString(buf, reason)
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendUint(buf, h.seq, 10)
	buf = append(buf, `,"head":"`...)
	buf = append(buf, h.hash...)
	buf = append(buf, `","key":"`...)
	buf = append(buf, KeyString(key.Public().(ed25519.PublicKey))...)
	buf = append(buf, `","sig":"`...)
	buf = base64.StdEncoding.AppendEncode(buf, sig)
	return append(buf, `"}`...)
}

// Checkpoint writes a checkpoint line signing the chain's head, and returns
// once it is written, like Write, with the line (newline included) so that
// the caller can ship it elsewhere. A periodic checkpoint is skipped (nil
// line) when no entry was written since the last checkpoint; a seal
// checkpoint is always written. Without Config.CheckpointKey it returns
// ErrNoCheckpointKey.
func (l *Log) Checkpoint(ctx context.Context, reason string) ([]byte, error) {
	if l.cfg.CheckpointKey == nil {
		return nil, ErrNoCheckpointKey
	}
	if reason != CheckpointPeriodic && reason != CheckpointSeal {
		return nil, fmt.Errorf("audit: unknown checkpoint reason %q", reason)
	}
	p := &pending{checkpoint: reason, done: make(chan error, 1)}
	if err := l.enqueue(ctx, p); err != nil {
		return nil, err
	}
	return p.line, nil
}

// CheckpointKey returns the public half of the checkpoint key as KeyString
// writes it, or "" if the log has none.
func (l *Log) CheckpointKey() string {
	if l.cfg.CheckpointKey == nil {
		return ""
	}
	return KeyString(l.cfg.CheckpointKey.Public().(ed25519.PublicKey))
}

// checkpointPrefix starts the part of a checkpoint line after its time.
var checkpointPrefix = []byte(`","type":"checkpoint",`)

// isCheckpoint reports whether line is a checkpoint line: its type member,
// which follows the time at a fixed place, says so.
func isCheckpoint(line []byte) bool {
	const timeStart = len(`{"time":"`)
	i := bytes.IndexByte(line[min(timeStart, len(line)):min(len(line), 64)], '"')
	return i >= 0 && bytes.HasPrefix(line[timeStart+i:], checkpointPrefix)
}

// parseCheckpoint reads the checkpoint of a checkpoint line whose chain
// members are already checked.
func parseCheckpoint(line []byte) (*Checkpoint, string) {
	var v struct {
		Time       string      `json:"time"`
		Checkpoint *Checkpoint `json:"checkpoint"`
	}
	if err := json.Unmarshal(line, &v); err != nil || v.Checkpoint == nil {
		return nil, "a checkpoint line without a readable checkpoint"
	}
	v.Checkpoint.Time = v.Time
	return v.Checkpoint, ""
}

// verifySig checks cp's signature with key.
func (cp *Checkpoint) verifySig(key ed25519.PublicKey) bool {
	sig, err := base64.StdEncoding.DecodeString(cp.Sig)
	return err == nil && ed25519.Verify(key, checkpointMessage(cp.Reason, cp.Seq, cp.Head, cp.Time), sig)
}
