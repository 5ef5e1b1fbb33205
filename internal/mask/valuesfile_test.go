package mask

import (
	"errors"
	"strings"
	"testing"
)

func TestReadValues(t *testing.T) {
	in := `{
  "db": {"password": "pw-0123456789", "port": 5432, "tls": true},
  "keys": ["k-1", {"inner": "v"}],
  "top": "t"
}`
	got, err := ReadValues(strings.NewReader(in), "v.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []Secret{{Name: "db.password", Value: []byte("pw-0123456789")}, {Name: "keys.0", Value: []byte("k-1")}, {Name: "keys.1.inner", Value: []byte("v")}, {Name: "top", Value: []byte("t")}}
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || string(got[i].Value) != string(want[i].Value) {
			t.Errorf("value %d: got name %q, want %q (or the value differs)", i, got[i].Name, want[i].Name)
		}
	}
}

func TestReadValuesErrors(t *testing.T) {
	for _, tt := range []struct {
		in        string
		line, col int
		reason    string
	}{
		{`["s3cr3t-value"]`, 1, 1, "the top level must be a JSON object of values"},
		{`"s3cr3t-value"`, 1, 1, "the top level must be a JSON object of values"},
		{"{\n \"a\": \"s3cr3t-value\",\n \"a\": \"s3cr3t-value\"}", 3, 2, `duplicate key "a"`},
		{"{\"x\": {\"a\": 1,\n\n \"a\": 2}}", 3, 2, `duplicate key "x.a"`},
		{"{\n \"a\": \"s3cr3t-value\n\"}", 2, 0, "malformed JSON"},
		{"{\n \"a\": \"s3cr3t-value\" x}", 2, 0, "malformed JSON"},
		{"{\"a\": \"s3cr3t-value\"", 1, 0, "malformed JSON: unexpected end of file"},
		{`{"a": "s3cr3t-value"} {}`, 1, 0, "text after the top-level object"},
		{"", 1, 1, "malformed JSON: unexpected end of file"},
		{`{"": "s3cr3t-value"}`, 1, 2, "empty key: a value needs a name"},
	} {
		_, err := ReadValues(strings.NewReader(tt.in), "v.json")
		var ve *ValuesFileError
		if !errors.As(err, &ve) || !errors.Is(err, ErrValuesFile) {
			t.Errorf("%q: err = %v, want a *ValuesFileError", tt.in, err)
			continue
		}
		if ve.File != "v.json" || ve.Line != tt.line || (tt.col != 0 && ve.Column != tt.col) || ve.Reason != tt.reason {
			t.Errorf("%q: got %s, want line %d col %d %q", tt.in, err, tt.line, tt.col, tt.reason)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error quotes a value: %s", err)
		}
	}
}

func FuzzReadValues(f *testing.F) {
	f.Add([]byte(`{"a": {"b": ["c", "d"]}, "e": 1}`))
	f.Add([]byte(`{"a": "x", "a": "y"}`))
	f.Add([]byte("{\n\"a\": \"\x01\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		secrets, err := ReadValues(strings.NewReader(string(data)), "f.json")
		if err != nil {
			var ve *ValuesFileError
			if !errors.As(err, &ve) {
				t.Fatalf("error of type %T", err)
			}
			if ve.Line < 1 || ve.Column < 1 {
				t.Fatalf("position %d:%d", ve.Line, ve.Column)
			}
			return
		}
		if _, _, err := NewMatcher(secrets, Options{}); err != nil {
			t.Fatalf("NewMatcher refused what ReadValues accepted: %v", err)
		}
	})
}
