package server

import (
	"strings"
	"testing"
	"time"
)

// Vault's CLI sends every value as a string; other clients send JSON
// types. Both read the same; a wrong one names its field, never its value.
func TestFields(t *testing.T) {
	for _, body := range []string{
		`{"names":"a, b,,c","stmts":"CREATE x","n":"7","b":"true","d":"90s"}`,
		`{"names":["a","b","c"],"stmts":["CREATE x"],"n":7,"b":true,"d":90}`,
	} {
		f, err := readFields([]byte(body), "names", "stmts", "n", "b", "d")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		names, stmts, n, b, d := f.list("names", ","), f.list("stmts", ""), f.integer("n"), f.boolean("b"), f.duration("d")
		if f.err != nil || strings.Join(names, "|") != "a|b|c" || len(stmts) != 1 || n != 7 || b == nil || !*b || d != 90*time.Second {
			t.Errorf("%s: %v %v %d %v %s (%v)", body, names, stmts, n, b, d, f.err)
		}
	}
	for body, field := range map[string]string{
		`{"n":"secret-value-1"}`:   "n",
		`{"n":-3}`:                 "n",
		`{"b":"secret-value-1"}`:   "b",
		`{"d":"secret-value-1"}`:   "d",
		`{"names":[1]}`:            "names",
		`{"stmts":{"a":"secret"}}`: "stmts",
	} {
		f, err := readFields([]byte(body), "names", "stmts", "n", "b", "d")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		f.list("names", ",")
		f.list("stmts", "")
		f.integer("n")
		f.boolean("b")
		f.duration("d")
		if f.err == nil || !strings.Contains(f.err.Error(), `"`+field+`"`) || strings.Contains(f.err.Error(), "secret") {
			t.Errorf("%s: %v, want an error naming %q and no value", body, f.err, field)
		}
	}
	if _, err := readFields([]byte(`{"colour":"secret-value-1"}`), "n"); err == nil || !strings.Contains(err.Error(), "colour") || strings.Contains(err.Error(), "secret") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := readFields([]byte(`[1]`), "n"); err == nil {
		t.Error("a JSON list was read as fields")
	}
}

func FuzzFields(f *testing.F) {
	for _, s := range []string{`{}`, `{"n":"7","names":"a,b"}`, `{"d":1e400}`, `{"b":null}`, `null`, `{"names":[null]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fs, err := readFields(body, "names", "n", "b", "d")
		if err != nil {
			return
		}
		fs.list("names", ",")
		fs.integer("n")
		fs.boolean("b")
		fs.duration("d")
	})
}
