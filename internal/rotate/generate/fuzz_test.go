package generate_test

import (
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/rotate/generate"
	"github.com/wardhq/ward/internal/types"
)

// FuzzCheckType feeds hostile type schemas to CheckType: it must never
// panic, and a type it accepts must make values that its schema accepts.
func FuzzCheckType(f *testing.F) {
	f.Add([]byte(oauthClient))
	f.Add([]byte(`{"type":"object","properties":{"s":{"type":"string","pattern":"^[a-z]{4}$","minLength":10,"x-ward-generate":true}}}`))
	f.Add([]byte(`{"type":"object","properties":{"s":{"type":"string","enum":["a","b"],"x-ward-generate":true}}}`))
	f.Add([]byte(`{"type":"object","properties":{"s":{"type":"string","format":"ward-pem-private-key","x-ward-generate":true}}}`))
	f.Add([]byte(`{"type":"object","x-ward-generate":1}`))
	g := generate.New(generate.Config{})
	f.Fuzz(func(t *testing.T, src []byte) {
		err := g.CheckType("fuzzed", src)
		if err != nil {
			var te *generate.TypeError
			var ce *types.CompileError
			if !errors.As(err, &te) && !errors.As(err, &ce) && !errors.Is(err, types.ErrBadName) {
				// JSON that types.Compile accepted but json.Unmarshal
				// did not cannot happen; anything else is a bug.
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		typ, err := types.Compile("fuzzed", src)
		if err != nil {
			t.Fatalf("CheckType accepted a type Compile refuses: %v", err)
		}
		if !generate.CanGenerate(typ) {
			return
		}
		// Accepted with marks: a value made on top of nothing else may
		// still miss required unmarked fields, so only check no panic and
		// that a success validates.
		if v, err := g.Next(typ, nil); err == nil {
			if err := typ.Validate("f", "p", v); err != nil {
				t.Fatalf("Next returned a value its type refuses: %v", err)
			}
		}
	})
}
