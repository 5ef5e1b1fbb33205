package main

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// readAhead hands on every byte in order, whatever the sizes of the reads
// on either side, then the source's EOF or error.
func TestReadAhead(t *testing.T) {
	src := make([]byte, 3<<20+12345)
	for i := range src {
		src[i] = byte(rand.IntN(256))
	}
	for _, tc := range []struct {
		name  string
		r     io.Reader
		size  int
		depth int
	}{
		{"big chunks", bytes.NewReader(src), 1 << 20, 4},
		{"tiny chunks", bytes.NewReader(src), 7, 2},
		{"one byte reads", iotest.OneByteReader(bytes.NewReader(src[:100000])), 4096, 1},
		{"half reads", iotest.HalfReader(bytes.NewReader(src)), 1 << 16, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := readAhead(tc.r, tc.size, tc.depth)
			defer a.Close()
			got, err := io.ReadAll(iotest.HalfReader(a))
			if err != nil {
				t.Fatal(err)
			}
			want := src
			if tc.name == "one byte reads" {
				want = src[:100000]
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, want %d, or they differ", len(got), len(want))
			}
		})
	}
	boom := errors.New("boom")
	a := readAhead(io.MultiReader(bytes.NewReader(src[:5000]), iotest.ErrReader(boom)), 1024, 2)
	defer a.Close()
	got, err := io.ReadAll(a)
	if !errors.Is(err, boom) || !bytes.Equal(got, src[:5000]) {
		t.Fatalf("with a failing source: %d bytes, %v", len(got), err)
	}
}

// Close stops a reader whose caller gave up before the end.
func TestReadAheadClose(t *testing.T) {
	a := readAhead(iotest.OneByteReader(bytes.NewReader(make([]byte, 1<<20))), 16, 2)
	buf := make([]byte, 10)
	if _, err := a.Read(buf); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close() // twice is fine
}
