package codegen

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"testing"
)

// mutations derives from a valid secret a family of near misses and
// near hits, each one edit away: every field emptied, lengthened by a
// multi-byte character, shortened, retyped, nulled or removed; every
// number moved by one and multiplied; an unknown field added. The server
// is the oracle for these: the loaders must agree with its verdict.
func mutations(raw json.RawMessage) []string {
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	emit := func(k string, v any, drop bool) {
		m := make(map[string]any, len(obj)+1)
		for kk, vv := range obj {
			m[kk] = vv
		}
		if drop {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, err := json.Marshal(m)
		if err == nil {
			out = append(out, string(b))
		}
	}
	for _, k := range keys {
		switch v := obj[k].(type) {
		case string:
			r := []rune(v)
			emit(k, "", false)
			emit(k, v+"é", false)
			emit(k, v+"\n", false)
			emit(k, " "+v, false)
			if len(r) > 0 {
				emit(k, string(r[:len(r)-1]), false)
				emit(k, string(r[1:]), false)
			}
		case json.Number:
			emit(k, json.Number(string(v)+"0"), false)
			emit(k, json.Number("-"+string(v)), false)
			emit(k, json.Number(string(v)+".5"), false)
			emit(k, v.String(), false)
		}
		emit(k, nil, false)
		emit(k, true, false)
		emit(k, nil, true)
	}
	emit("not_a_field_of_any_type", "x", false)
	return slices.Compact(out)
}

func TestMutationsCover(t *testing.T) {
	got := mutations(json.RawMessage(`{"a":"xy","n":5}`))
	for _, want := range []string{`{"a":"","n":5}`, `{"a":"xyé","n":5}`, `{"a":"x","n":5}`, `{"a":"xy","n":50}`, `{"a":"xy","n":-5}`, `{"a":"xy","n":5.5}`, `{"a":"xy","n":"5"}`, `{"n":5}`, `{"a":null,"n":5}`} {
		if !slices.Contains(got, want) {
			t.Errorf("mutations lack %s", want)
		}
	}
}
