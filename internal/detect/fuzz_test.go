package detect

import (
	"bytes"
	"context"
	"testing"
)

// FuzzLine feeds hostile lines to an engine: it must neither panic nor
// stop, and must count every line.
func FuzzLine(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-02T10:00:00Z","type":"response","identity":"x","path":"prod/data/a","operation":"read","status":200,"remote_addr":"[::1]:80","meta":{"role":"r","ci_repository":"o/r","ci_ref":"refs/pull/1/merge"}}`))
	f.Add([]byte(`{"time":"2026-11-02T10:00:00Z","type":"response","status":403,"error":"bound to another environment","path":"/"}`))
	f.Add([]byte(`{"type":"alert"}`))
	f.Add([]byte(`{"time":"x","type":"response"}`))
	f.Add([]byte(`{"time":"2026-11-02T10:00:00Z","type":"response","meta":{"role":1}}`))
	f.Add([]byte("\x00\xff{"))
	f.Fuzz(func(t *testing.T, line []byte) {
		cfg := DefaultConfig()
		cfg.LearnFor = 0
		cfg.SensitivePath.Retired = []string{"*/a*"}
		eng := NewEngine(cfg, Options{Limits: Limits{Identities: 4, PathsPerIdentity: 2, Tokens: 4, Roles: 2, ContextsPerRole: 2}})
		eng.Line(line)
		if err := eng.Replay(context.Background(), bytes.NewReader(append(append(line, '\n'), line...))); err != nil {
			t.Fatal(err)
		}
		if s := eng.Stats(); s.Lines < 1 || s.Events+s.Skipped+s.Unparsable != s.Lines {
			t.Fatalf("stats do not add up: %+v", s)
		}
		var buf bytes.Buffer
		if err := eng.Snapshot(&buf); err != nil {
			t.Fatal(err)
		}
		if err := NewEngine(cfg, Options{}).Restore(&buf); err != nil {
			t.Fatalf("own snapshot refused: %v", err)
		}
	})
}
