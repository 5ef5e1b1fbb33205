package types

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"a":1,"b":"x","c":[true,false,null],"d":{"e":-1.5e+3}}`, true},
		{` {"a" : "\u00e9\n\"q\"" } `, true},
		{`{"a":1,"a":2}`, true},
		{`{}`, true},
		{`[]`, true},
		{`{"a":01}`, false},
		{`{"a":1,}`, false},
		{`{"a":1} x`, false},
		{`{"a":"` + "\x01" + `"}`, false},
		{`{"a":"\xff"}`, false},
		{`{"a":tru}`, false},
		{`{"a":-}`, false},
		{`{"a":1.}`, false},
		{`{"a":1e}`, false},
		{`{"a":"\`, false},
		{`{"a"`, false},
	}
	for _, tt := range tests {
		got, err := decodeJSON([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%q: %v, ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok {
			var want any
			dec := json.NewDecoder(bytes.NewReader([]byte(tt.in)))
			dec.UseNumber()
			dec.Decode(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q: %#v, want %#v", tt.in, got, want)
			}
		}
	}
}

// FuzzDecodeJSON checks the fast decoder against encoding/json: whatever it
// takes, encoding/json takes and decodes the same.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"host":"db","port":5432,"ok":true,"n":null,"l":[1,-2.5e3,"\u0041"]}`))
	f.Add([]byte(`{"a":{"b":{"c":[[[]]]}}}`))
	f.Add([]byte(`"\ud83d\ude00"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeJSON(b)
		if err != nil {
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("decodeJSON took %q, encoding/json refused it: %v", b, err)
		}
		if dec.More() {
			t.Fatalf("decodeJSON took %q with data after the value", b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decodeJSON %#v, encoding/json %#v", b, got, want)
		}
	})
}
