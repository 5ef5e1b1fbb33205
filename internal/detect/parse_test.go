package detect

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardhq/ward/internal/audit"
)

// refParse decodes a line with encoding/json, exact keys, last one wins:
// what ParseLine must agree with on valid JSON.
func refParse(b []byte) (Event, error) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return Event{}, ErrNotEntry
	}
	var e Event
	str := func(k string, dst *string) bool {
		raw, ok := m[k]
		return !ok || json.Unmarshal(raw, dst) == nil
	}
	var typ, ts string
	if !str("type", &typ) || typ == "" {
		return e, ErrNotEntry
	}
	if typ != "response" {
		return e, ErrSkip
	}
	ok := str("time", &ts) && str("identity", &e.Identity) && str("token", &e.Token) && str("accessor", &e.Accessor) &&
		str("environment", &e.Environment) && str("path", &e.Path) && str("operation", &e.Operation) &&
		str("remote_addr", &e.RemoteAddr) && str("error", &e.Error)
	if raw, has := m["status"]; has && json.Unmarshal(raw, &e.Status) != nil {
		ok = false
	}
	var meta map[string]string
	if raw, has := m["meta"]; has && json.Unmarshal(raw, &meta) != nil {
		ok = false
	}
	e.Role, e.Repository, e.Ref, e.Workflow, e.User = meta["role"], meta["ci_repository"], meta["ci_ref"], meta["ci_workflow"], meta["ward_identity"]
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil {
		return Event{}, ErrNotEntry
	}
	e.Time = t
	return e, nil
}

// TestParseLineAgreesWithEncodingJSON parses lines written by a real audit
// log, escapes and all, both ways.
func TestParseLineAgreesWithEncodingJSON(t *testing.T) {
	e := entry(start, "response", 200, "prod/data/app/\"quoted\"\\db\u2028é\x01", "denied\n\"x\" <&>")
	e.Meta["ward_identity"] = "ali\tce"
	e.Meta["ci_ref"] = "refs/heads/\U0001F600"
	raw, err := os.ReadFile(writeLog(t, []*audit.Entry{entry(start, "request", 0, "p", ""), e}))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	var got Event
	if err := ParseLine(lines[0], &got); err != ErrSkip {
		t.Fatalf("request line: %v, want ErrSkip", err)
	}
	if err := ParseLine(lines[1], &got); err != nil {
		t.Fatal(err)
	}
	want, err := refParse(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	if !sameEvent(got, want) {
		t.Fatalf("ParseLine\n got %+v\nwant %+v", got, want)
	}
	if got.Path != "prod/data/app/\"quoted\"\\db\u2028é\x01" || got.User != "ali\tce" || got.Role != "deploy" {
		t.Errorf("decoded %+v", got)
	}
}

func TestParseLineRefuses(t *testing.T) {
	for _, bad := range []string{
		``, `null`, `[]`, `{}`, `{"type":"response"}`, `{"time":"2026-11-02T10:00:00Z"}`,
		`{"time":"2026-11-02T10:00:00Z","type":"response","status":"200"}`,
		`{"time":"2026-11-02T10:00:00Z","type":"response","status":2.5}`,
		`{"time":"2026-11-02T10:00:00Z","type":"response","meta":{"role":1}}`,
		`{"time":"2026-11-02T10:00:00Z","type":"response"} trailing`,
		`{"time":"2026-11-02T10:00:00Z","type":"response","data":{"a":[1,2}}`,
		`{"time":"2026-11-02T10:00:00Z","type":"response","path":"a\qb"}`,
		`{"time":"2026-11-02T10:00:00Z","type":"response","path":"abc`,
	} {
		var e Event
		if err := ParseLine([]byte(bad), &e); err != ErrNotEntry {
			t.Errorf("ParseLine(%q) = %v, want ErrNotEntry", bad, err)
		}
	}
}

// FuzzParseLine checks ParseLine against encoding/json on every valid JSON
// line it accepts.
func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-02T10:00:00Z","type":"response","path":"a\u00e9\ud83d\ude00","status":403,"meta":{"role":"r","x":"y"},"data":{"k":[1,{"z":null}]}}`))
	f.Add([]byte(`{"time":"2026-11-02T10:00:00.5+01:00","type":"response","identity":"\ud800x"}`))
	f.Add([]byte(`{"type":"request","time":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Event
		err := ParseLine(b, &got)
		if err != nil || !json.Valid(b) || !utf8.Valid(b) {
			return
		}
		want, rerr := refParse(b)
		if rerr != nil {
			t.Fatalf("ParseLine accepted what encoding/json refuses (%v): %q", rerr, b)
		}
		if !sameEvent(got, want) {
			t.Fatalf("ParseLine\n got %+v\nwant %+v\nline %q", got, want, b)
		}
	})
}

// sameEvent compares events, times by instant.
func sameEvent(a, b Event) bool {
	if !a.Time.Equal(b.Time) {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	return a == b
}
