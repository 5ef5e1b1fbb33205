package jsonstrict

import (
	"strings"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	deep := strings.Repeat("[", DefaultMaxDepth+1) + strings.Repeat("]", DefaultMaxDepth+1)
	okDeep := strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth)
	tests := []struct {
		name, body, wantErr string
	}{
		{"object", `{"a":1,"b":{"c":[1,2,{"d":null}]}}`, ""},
		{"max depth", okDeep, ""},
		{"scalar", `"x"`, ""},
		{"empty", ``, "empty"},
		{"spaces", "  \n", "empty"},
		{"duplicate key", `{"a":1,"a":2}`, `duplicate key "a"`},
		{"nested duplicate", `{"a":{"b":1,"b":1}}`, `duplicate key "b"`},
		{"same key in siblings is fine", `[{"a":1},{"a":2}]`, ""},
		{"trailing data", `{"a":1} {"b":2}`, "after the value"},
		{"trailing garbage", `{"a":1}x`, "after the value"},
		{"too deep", deep, "nested deeper"},
		{"truncated", `{"a":`, "unexpected end"},
		{"syntax", `{"a" 1}`, "syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.body), DefaultMaxDepth)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// A body's values must never be echoed in an error: only keys and offsets.
func TestCheckJSONErrorsHideValues(t *testing.T) {
	const marker = "s3cr3t-canary-value"
	for _, body := range []string{
		`{"password":"` + marker + `"} trailing`,
		`{"password":"` + marker + `",`,
		`{"password":"` + marker + `" "x"}`,
		`{"a":"` + marker + `","a":"` + marker + `"}`,
	} {
		err := Check([]byte(body), DefaultMaxDepth)
		if err == nil {
			t.Fatalf("Check(%d bytes) accepted a bad body", len(body))
		}
		if strings.Contains(err.Error(), marker) {
			t.Fatalf("error reveals the value: %v", err)
		}
	}
}

func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"c"}]}`, `{"a":1,"a":2}`, `[[[[`, `"\u0000"`, `{"a":1}x`,
		`{"data":1,"Data":2}`, `{"a":"\ud800"}`, `{"a\u0000":1}`, `{"a":"\ud83d\ude00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := Check(body, DefaultMaxDepth)
		if err == nil {
			var v any
			if derr := Decode(body, &v); derr != nil {
				t.Fatalf("Check accepted a body Decode refused: %v", derr)
			}
		}
	})
}
