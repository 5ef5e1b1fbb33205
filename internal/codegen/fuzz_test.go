package codegen

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/types"
)

// formatFields are, per built-in type, the string field a format checks and
// a valid secret to put the fuzzed value in.
var formatFields = []struct {
	typ, field string
	base       map[string]any
}{
	{"url-with-credentials", "url", map[string]any{}},
	{"api-token", "endpoint", map[string]any{"token": "abcdefghijklmnop"}},
	{"ssh-private-key", "private_key", map[string]any{}},
	{"jwt-signing-key", "key", map[string]any{"algorithm": "ES256"}},
	{"tls", "certificate", nil}, // the private key of the first valid tls vector
	{"tls", "private_key", nil}, // the certificate of the first valid tls vector
}

// FuzzRustFormats feeds a value to a format of a built-in type and holds
// the generated Rust loader to the server's verdict: the Rust ports of
// Go's PEM, DER, X.509, private-key and URL parsers must accept and refuse
// alike. Seeds: every string of the conformance vectors, in every slot.
//
//	go test -run '^$' -fuzz FuzzRustFormats ./internal/codegen
func FuzzRustFormats(f *testing.F) {
	schemas := typeSchemas(f)
	// The seeds: each slot's value in the vectors of its type (the
	// conformance test runs them all in one batch; a seed here is one
	// process each, so they stay few).
	var tlsBase map[string]any
	seen := map[string]bool{}
	for _, vf := range loadVectors(f, schemas) {
		for _, v := range vf.Vectors {
			var obj map[string]any
			if json.Unmarshal(v.Secret, &obj) != nil {
				continue
			}
			if vf.Type == "tls" && v.Valid && tlsBase == nil {
				tlsBase = obj
			}
			for i, ff := range formatFields {
				if s, ok := obj[ff.field].(string); ok && ff.typ == vf.Type && !seen[ff.typ+ff.field+fmt.Sprint(v.Valid)] {
					seen[ff.typ+ff.field+fmt.Sprint(v.Valid)] = true
					f.Add(uint8(i), s)
				}
			}
		}
	}
	names := slices.Sorted(maps.Keys(schemas))
	src, err := Generate(Options{Lang: Rust, Component: conformanceComponent(names), Types: source(schemas)})
	if err != nil {
		f.Fatal(err)
	}
	h := buildRustHarness(f, src, names)
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		ff := formatFields[int(which)%len(formatFields)]
		obj := map[string]any{}
		base := ff.base
		if base == nil {
			base = tlsBase
		}
		for k, v := range base {
			obj[k] = v
		}
		obj[ff.field] = value
		raw, err := json.Marshal(obj)
		if err != nil {
			return
		}
		err = types.Builtin(ff.typ).ValidateJSON("fuzz", ff.typ, raw)
		var ve *types.ValidationError
		serverOK := err == nil
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("the server: %v", err)
		}
		got := h.judge(t, []judgeCase{{ff.typ, string(raw)}})[0]
		switch {
		case serverOK != got.ok:
			t.Fatalf("%s field %s = %q: the server says valid=%v, the Rust loader valid=%v (field %q rule %q)", ff.typ, ff.field, value, serverOK, got.ok, got.field, got.rule)
		case !serverOK && !slices.ContainsFunc(ve.Problems, func(p types.Problem) bool { return p.Field == got.field }):
			// A value that breaks two rules (a 5000-character non-URL) may be
			// named by either: the field must agree, the rule may not.
			t.Fatalf("%s field %s = %q: the Rust loader says field %q rule %q; the server's problems are %v", ff.typ, ff.field, value, got.field, got.rule, ve.Problems)
		}
	})
}
