package types

import (
	"strings"
	"testing"
)

// BenchmarkValidatePostgres is what a typed write adds to an untyped one:
// decoding the value and validating it against the built-in postgres type
// (go test -bench ValidatePostgres ./internal/types).
func BenchmarkValidatePostgres(b *testing.B) {
	t := Builtin("postgres")
	raw := []byte(`{"user":"svc-1","password":"` + strings.Repeat("x", 200) + `","host":"db-1.internal","port":5432,"database":"payments","sslmode":"require"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := t.ValidateJSON("staging", "kvload/k1", raw); err != nil {
			b.Fatal(err)
		}
	}
}
