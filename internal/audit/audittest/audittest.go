// Package audittest makes audit logs for tests: an intact log written by
// audit.Log with a fixed key and clock, and that log tampered with in each
// of the ways audit.Verify must catch.
package audittest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// Key is the audit key of the logs made here: bytes 0 to 31.
var Key = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

// Entries is the number of entries in Intact's log.
const Entries = 6

// Intact returns a log of Entries entries, the same bytes on every call.
func Intact() ([]byte, error) { return writeLog(nil, nil, nil) }

// CheckpointKey signs the checkpoints of Checkpointed's log.
var CheckpointKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x5a}, ed25519.SeedSize))

// CheckpointPublic is CheckpointKey's public half as ward audit verify
// --key takes it.
var CheckpointPublic = audit.KeyString(CheckpointKey.Public().(ed25519.PublicKey))

// Checkpointed returns Intact's entries with a periodic checkpoint after
// the third (line 4) and a seal checkpoint at the end (line 8).
func Checkpointed() ([]byte, error) {
	return writeLog(CheckpointKey, map[int]string{3: audit.CheckpointPeriodic, 6: audit.CheckpointSeal}, nil)
}

// writeLog writes Intact's entries, edited by edit if not nil, with a
// checkpoint signed by key after the entries counted in checkpoints.
func writeLog(key ed25519.PrivateKey, checkpoints map[int]string, edit func(i int, e *audit.Entry)) ([]byte, error) {
	dir, err := os.MkdirTemp("", "audittest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")
	t := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	l, err := audit.Open(audit.Config{Path: path, HMACKey: Key, CheckpointKey: key, Now: func() time.Time { t = t.Add(time.Millisecond); return t }})
	if err != nil {
		return nil, err
	}
	for i := range Entries {
		typ, status := "request", 0
		if i%2 == 1 {
			typ, status = "response", 200
		}
		e := &audit.Entry{
			Type: typ, RequestID: fmt.Sprintf("req-%d", i/2), Identity: "ci-payments", Token: "ward_example",
			Accessor: "wacc_example", Policies: []string{"payments-read"}, Environment: "staging",
			Path: "staging/data/payments/db", Operation: "read", RemoteAddr: "10.0.0.7:51234", Status: status,
			Meta: map[string]string{"ci_run": "1234"},
		}
		if typ == "response" {
			e.Data = map[string]any{"data": map[string]any{"password": "s3cret", "port": 5432.0}}
		}
		if edit != nil {
			edit(i, e)
		}
		if err := l.Write(context.Background(), e); err != nil {
			l.Close()
			return nil, err
		}
		if reason := checkpoints[i+1]; reason != "" {
			if _, err := l.Checkpoint(context.Background(), reason); err != nil {
				l.Close()
				return nil, err
			}
		}
	}
	if err := l.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// CheckpointCase is a checkpointed log, tampered with or not, and what
// ward audit verify must say of it with the given trust.
type CheckpointCase struct {
	Case
	Pin     bool // verify with --key CheckpointPublic
	Shipped bool // verify with --checkpoints: Checkpointed's log, kept elsewhere
}

// CheckpointCases returns Checkpointed's log and the tampering that only
// checkpoints catch: a line changed and the chain recomputed, a log
// rewritten and re-signed with another key, and lines cut off the end.
func CheckpointCases() ([]CheckpointCase, error) {
	log, err := Checkpointed()
	if err != nil {
		return nil, err
	}
	editOp := func(i int, e *audit.Entry) {
		if i == 1 {
			e.Operation = "list"
		}
	}
	evil := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x66}, ed25519.SeedSize))
	resigned, err := writeLog(evil, map[int]string{3: audit.CheckpointPeriodic, 6: audit.CheckpointSeal}, editOp)
	if err != nil {
		return nil, err
	}
	lines := bytes.SplitAfter(log, []byte("\n"))
	cut := bytes.Join(lines[:6], nil) // the last entry and the seal checkpoint gone
	changed := bytes.Replace(log, []byte(`"req-0","identity":"ci-payments","token":`), []byte(`"req-0","identity":"someone-else","token":`), 1)
	return []CheckpointCase{
		{Case: Case{Name: "checkpointed", Log: log}, Pin: true, Shipped: true},
		{Case: Case{Name: "checkpointed-unpinned", Log: log}},
		{Case: Case{Name: "rebuilt", Log: rechain(changed), Line: 4, Err: audit.ErrRebuilt}},
		{Case: Case{Name: "resigned", Log: resigned, Line: 4, Err: audit.ErrBadCheckpoint}, Pin: true},
		{Case: Case{Name: "resigned-unpinned", Log: resigned}},
		{Case: Case{Name: "cut-tail", Log: cut}, Pin: true},
		{Case: Case{Name: "cut-tail-shipped", Log: cut, Line: 7, Err: audit.ErrTruncated}, Pin: true, Shipped: true},
	}, nil
}

// rechain recomputes every line's seq, prev and hash, as someone who can
// write the file can: the plain chain then verifies whatever was changed.
func rechain(log []byte) []byte {
	var out []byte
	prev := strings.Repeat("0", 64)
	for n, line := range bytes.Split(bytes.TrimSuffix(log, []byte("\n")), []byte("\n")) {
		start := len(out)
		out = append(out, line[:bytes.LastIndex(line, []byte(`,"seq":`))]...)
		out = fmt.Appendf(out, `,"seq":%d,"prev":"%s"`, n+1, prev)
		sum := sha256.Sum256(out[start:])
		prev = hex.EncodeToString(sum[:])
		out = fmt.Appendf(out, `,"hash":"%s"}`+"\n", prev)
	}
	return out
}

// Case is one log and what Verify must say of it.
type Case struct {
	Name string
	Log  []byte
	Line int   // the first bad line; 0 if intact
	Err  error // audit.ErrBroken, audit.ErrTorn or nil
}

// Cases returns the intact log (of Entries lines) and one case for each way
// of tampering with it.
func Cases(intact []byte) []Case {
	l := func() [][]byte { return bytes.SplitAfter(bytes.Clone(intact), []byte("\n"))[:Entries] }
	join := func(lines ...[]byte) []byte { return bytes.Join(lines, nil) }
	var cs []Case
	add := func(name string, line int, err error, lines [][]byte) {
		cs = append(cs, Case{Name: name, Log: join(lines...), Line: line, Err: err})
	}
	add("intact", 0, nil, l())

	x := l()
	x[2] = bytes.Replace(x[2], []byte(`"operation":"read"`), []byte(`"operation":"list"`), 1)
	add("changed", 3, audit.ErrBroken, x)

	x = l()
	x[2] = rehash(bytes.Replace(x[2], []byte(`"operation":"read"`), []byte(`"operation":"list"`), 1))
	add("changed-rehashed", 4, audit.ErrBroken, x)

	x = l()
	add("removed", 3, audit.ErrBroken, append(x[:2], x[3:]...))

	x = l()
	add("removed-first", 1, audit.ErrBroken, x[1:])

	x = l()
	x[2], x[3] = x[3], x[2]
	add("reordered", 3, audit.ErrBroken, x)

	x = l()
	add("inserted-copy", 5, audit.ErrBroken, append(x[:4:4], append([][]byte{x[1]}, x[4:]...)...))

	x = l()
	forged := rehash(bytes.Replace(x[4], []byte(`"operation":"read"`), []byte(`"operation":"delete"`), 1))
	add("inserted-forged", 6, audit.ErrBroken, append(x[:4:4], append([][]byte{forged}, x[4:]...)...))

	x = l()
	add("inserted-blank", 3, audit.ErrBroken, append(x[:2:2], append([][]byte{[]byte("\n")}, x[2:]...)...))

	x = l()
	add("inserted-text", 3, audit.ErrBroken, append(x[:2:2], append([][]byte{[]byte("{\"type\":\"request\"}\n")}, x[2:]...)...))

	x = l()
	x[2] = append(x[2][:len(x[2])/2], '\n')
	add("truncated-middle", 3, audit.ErrBroken, x)

	x = l()
	x[5] = x[5][:len(x[5])/2]
	add("torn", 6, audit.ErrTorn, x)
	return cs
}

// rehash gives a changed line (with its newline) a hash that matches it, as
// someone who rewrites a line would.
func rehash(line []byte) []byte {
	i := bytes.LastIndex(line, []byte(`,"hash":"`))
	sum := sha256.Sum256(line[:i])
	return fmt.Appendf(bytes.Clone(line[:i]), `,"hash":"%s"}`+"\n", hex.EncodeToString(sum[:]))
}
