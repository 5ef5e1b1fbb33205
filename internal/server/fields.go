package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/jsonstrict"
)

// fields is a request body read the way Vault's CLI writes it: `vault
// write PATH key=value` sends every value as a string, other clients send
// JSON types, and both are accepted. Unknown fields are refused, naming
// the known ones; a value of the wrong type names its field, never the
// value.
type fields struct {
	m   map[string]any
	err error
}

// readFields decodes body (empty: no fields) and refuses a field not in
// known.
func readFields(body []byte, known ...string) (*fields, error) {
	f := &fields{m: map[string]any{}}
	if len(body) > 0 {
		if err := jsonstrict.Decode(body, &f.m); err != nil {
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
		if f.m == nil {
			return nil, errorf(http.StatusBadRequest, "the request body must be a JSON object")
		}
	}
	var unknown []string
	for k := range f.m {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errorf(http.StatusBadRequest, "unknown field %q; the fields here are %s", unknown[0], strings.Join(known, ", "))
	}
	return f, nil
}

func (f *fields) has(k string) bool { _, ok := f.m[k]; return ok }

func (f *fields) fail(k, want string) {
	if f.err == nil {
		f.err = errorf(http.StatusBadRequest, "field %q must be %s", k, want)
	}
}

// str is field k as a string, "" when absent.
func (f *fields) str(k string) string {
	switch v := f.m[k].(type) {
	case nil:
		return ""
	case string:
		return v
	}
	f.fail(k, "a string")
	return ""
}

// list is field k as a list of strings: a JSON list, or one string with
// items separated by commas (for a list of names) or one item (for
// statements, where sep is "").
func (f *fields) list(k, sep string) []string {
	switch v := f.m[k].(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		if sep == "" {
			return []string{v}
		}
		var out []string
		for _, s := range strings.Split(v, sep) {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				f.fail(k, "a list of strings")
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	f.fail(k, "a list of strings")
	return nil
}

// integer is field k as a non-negative int, 0 when absent.
func (f *fields) integer(k string) int {
	var s string
	switch v := f.m[k].(type) {
	case nil:
		return 0
	case json.Number:
		s = v.String()
	case string:
		s = v
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		f.fail(k, "a non-negative whole number")
		return 0
	}
	return n
}

// boolean is field k as a bool, nil when absent.
func (f *fields) boolean(k string) *bool {
	switch v := f.m[k].(type) {
	case nil:
		return nil
	case bool:
		return &v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return &b
		}
	}
	f.fail(k, "true or false")
	return nil
}

// duration is field k as a duration: "90s", "1h", or a number of seconds.
func (f *fields) duration(k string) time.Duration {
	v, ok := f.m[k]
	if !ok || v == nil {
		return 0
	}
	b, _ := json.Marshal(v)
	var d durationField
	if err := d.UnmarshalJSON(b); err != nil || d.d < 0 {
		f.fail(k, "a duration like 90s, 15m or 2h, or a number of seconds")
		return 0
	}
	return d.d
}
