package secrets

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func isTooLarge(err error) bool { return errors.Is(err, ErrTooLarge) }

func TestCheckValue(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	deepArr := func(n int) string { return "{\"a\":" + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}" }
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"object", `{"a":"b"}`, true},
		{"empty object", `{}`, true},
		{"spaces around", " \n{\"a\": [1, 2.5e3, null, true]}\t", true},
		{"same key in different objects", `{"a":{"a":1},"b":{"a":2}}`, true},
		{"array", `[1]`, false},
		{"string", `"s"`, false},
		{"null", `null`, false},
		{"empty", ``, false},
		{"duplicate key", `{"a":1,"a":2}`, false},
		{"nested duplicate key", `{"x":[{"k":1,"k":1}]}`, false},
		{"duplicate after escape", `{"a":1,"\u0061":2}`, false},
		{"trailing object", `{"a":1}{}`, false},
		{"trailing garbage", `{"a":1} x`, false},
		{"trailing comma", `{"a":1,}`, false},
		{"unterminated", `{"a":1`, false},
		{"bad number", `{"a":01}`, false},
		{"invalid utf-8", "{\"a\":\"\xff\"}", false},
		{"depth 64", deep(64), true},
		{"depth 65", deep(65), false},
		{"array depth 64", deepArr(64), true},
		{"array depth 65", deepArr(65), false},
	}
	for _, tt := range tests {
		err := CheckValue([]byte(tt.in), 0)
		if tt.ok != (err == nil) {
			t.Errorf("%s: CheckValue = %v; want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v does not wrap ErrInvalidValue", tt.name, err)
		}
	}
}

// TestValueErrorsHideValue checks that no error quotes the value.
func TestValueErrorsHideValue(t *testing.T) {
	const secret = "hunter2-very-secret"
	for _, in := range []string{
		`{"p":"` + secret + `","p":"` + secret + `"}`,
		`{"p":"` + secret + `"} "` + secret + `"`,
		`{"p":` + secret + `}`,
		`["` + secret + `"]`,
		`{"p":"` + secret + `"`,
	} {
		err := CheckValue([]byte(in), 0)
		if err == nil {
			t.Fatalf("accepted %d bytes of bad input", len(in))
		}
		if strings.Contains(err.Error(), "hunter") {
			t.Errorf("error quotes the value: %v", err)
		}
	}
}

func TestNumbersKeptExactly(t *testing.T) {
	f := newFixture(t)
	in := `{"big":123456789012345678901234567890,"f":0.1000000000000000055511151231257827,"e":1E+2,"neg":-0}`
	f.put("n", in)
	if got := f.mustGet("n", 0); got != in {
		t.Errorf("stored %s; want %s", got, in)
	}
}

func TestValueSizeLimit(t *testing.T) {
	f := newFixture(t)
	value := func(size int) json.RawMessage {
		const frame = len(`{"v":""}`)
		return json.RawMessage(`{"v":"` + strings.Repeat("x", size-frame) + `"}`)
	}
	if _, err := f.kv.Put(f.ctx, "big", value(DefaultMaxValueSize), PutOptions{}); err != nil {
		t.Fatalf("value of exactly 1 MiB: %v", err)
	}
	if got := len(f.mustGet("big", 0)); got != DefaultMaxValueSize {
		t.Errorf("read back %d bytes", got)
	}
	_, err := f.kv.Put(f.ctx, "big", value(DefaultMaxValueSize+1), PutOptions{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("value of 1 MiB + 1: %v", err)
	}
	if md := f.meta("big"); md.CurrentVersion != 1 {
		t.Errorf("refused value made version %d", md.CurrentVersion)
	}
}
