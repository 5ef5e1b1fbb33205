// Package audittest makes audit logs for tests: an intact log written by
// audit.Log with a fixed key and clock, and that log tampered with in each
// of the ways audit.Verify must catch.
package audittest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
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
func Intact() ([]byte, error) {
	dir, err := os.MkdirTemp("", "audittest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")
	t := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	l, err := audit.Open(audit.Config{Path: path, HMACKey: Key, Now: func() time.Time { t = t.Add(time.Millisecond); return t }})
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
		if err := l.Write(context.Background(), e); err != nil {
			l.Close()
			return nil, err
		}
	}
	if err := l.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
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
