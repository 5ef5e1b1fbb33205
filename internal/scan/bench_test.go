package scan

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchInput is CI-log-like text with a token every 64 KiB.
func benchInput(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"build", "token", "cache", "secret", "restore", "download", "password", "module", "ok", "PASS", "github.com/acme/api"}
	var b bytes.Buffer
	next := 0
	for b.Len() < n {
		fmt.Fprintf(&b, "2024-05-01T12:%02d:%02d.0000000Z ", r.IntN(60), r.IntN(60))
		for range 4 + r.IntN(8) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "sha256:%016x%016x\n", r.Uint64(), r.Uint64())
		if b.Len() > next {
			b.WriteString("export GITHUB_TOKEN=" + tok + "\n")
			next += 64 << 10
		}
	}
	return b.Bytes()
}

func benchScan(b *testing.B, data []byte) {
	s := newTestScanner(b, Config{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := s.ScanReader(context.Background(), "bench", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanText(b *testing.B) { benchScan(b, benchInput(16<<20)) }

func BenchmarkScanRandomBinary(b *testing.B) {
	data := make([]byte, 16<<20)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	benchScan(b, data)
}

func BenchmarkKeywords(b *testing.B) {
	rs, err := DefaultRules()
	if err != nil {
		b.Fatal(err)
	}
	data := benchInput(16 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := 0
		rs.kw.find(data, func(int, int) { n++ })
	}
}
