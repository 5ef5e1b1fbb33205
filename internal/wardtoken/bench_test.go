package wardtoken

import "testing"

func BenchmarkValid(b *testing.B) {
	tok, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !Valid(tok) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkHash(b *testing.B) {
	tok, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
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
