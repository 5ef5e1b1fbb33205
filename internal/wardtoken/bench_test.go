package wardtoken

import "testing"

// benchToken returns a fresh token and starts counting allocations.
func benchToken(b *testing.B) string {
	tok, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	return tok
}

func BenchmarkValid(b *testing.B) {
	tok := benchToken(b)
	for b.Loop() {
		if !Valid(tok) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkHash(b *testing.B) {
	tok := benchToken(b)
	for b.Loop() {
		Hash(tok)
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(nil); err != nil {
			b.Fatal(err)
		}
	}
}
