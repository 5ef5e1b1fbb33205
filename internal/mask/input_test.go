package mask

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// chunkReader returns b in reads of the given sizes, the last repeated.
type chunkReader struct {
	b     []byte
	sizes []int
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), r.sizes[min(r.i, len(r.sizes)-1)])
	r.i++
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// recorder notes the sizes of the reads r returns.
type recorder struct {
	r     io.Reader
	sizes []int
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.sizes = append(r.sizes, n)
	}
	return n, err
}

// maskInput masks what r yields through an Input of depth buffers of size
// bytes.
func maskInput(t testing.TB, m *Matcher, r io.Reader, size, depth int) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	w := m.NewWriter(&out)
	in := ReadAhead(r, size, depth)
	_, err := w.ReadInput(in)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return out.Bytes(), err
}

// ReadInput masks what Write masks when given the same reads, whatever
// their sizes, the buffers' and the room kept before them (down to too
// small for what the Writer keeps, where it copies instead).
func TestReadInput(t *testing.T) {
	m, _, err := NewMatcher(parallelSecrets, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	src := plantedText([]byte("2026-01-02T03:04:05.0000000Z + make test\n"), r, 300<<10)
	want := maskChunked(t, m, src, []int{len(src)})
	if !bytes.Contains(want, []byte("[masked:")) {
		t.Fatal("nothing masked")
	}
	defer func(n int) { inputFront = n }(inputFront)
	for _, front := range []int{4 << 10, 16} {
		inputFront = front
		for _, tc := range []struct {
			name        string
			r           io.Reader
			size, depth int
		}{
			{"big buffers", bytes.NewReader(src), 1 << 20, 4},
			{"small buffers", bytes.NewReader(src), 1000, 2},
			{"one byte reads", iotest.OneByteReader(bytes.NewReader(src[:20000])), 4096, 1},
			{"half reads", iotest.HalfReader(bytes.NewReader(src)), 1 << 16, 3},
			{"reads of all sizes", &chunkReader{b: src, sizes: []int{1, 700, 3, 40000, 17, 1 << 20}}, 1 << 16, 2},
		} {
			rec := &recorder{r: tc.r}
			got, err := maskInput(t, m, rec, tc.size, tc.depth)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, k := range rec.sizes {
				n += k
			}
			if w := maskChunked(t, m, src[:n], rec.sizes); !bytes.Equal(got, w) {
				t.Errorf("front %d, %s: output differs from Write's", front, tc.name)
			}
			if n == len(src) && !bytes.Equal(got, want) && tc.name != "reads of all sizes" {
				t.Errorf("front %d, %s: output differs from one Write's", front, tc.name)
			}
		}
	}
}

// A source's error ends ReadInput with it, after what came before it; a
// destination's error ends it too.
func TestReadInputErrors(t *testing.T) {
	m, _, _ := NewMatcher(parallelSecrets, Options{})
	boom := errors.New("boom")
	src := []byte("token AKIAIOSFODNN7EXAMPLE here\n")
	got, err := maskInput(t, m, io.MultiReader(bytes.NewReader(src), iotest.ErrReader(boom)), 8, 2)
	if !errors.Is(err, boom) || string(got) != "token [masked:aws] here\n" {
		t.Errorf("failing source: %q, %v", got, err)
	}
	full := errors.New("disk full")
	w := m.NewWriter(errWriter{full})
	in := ReadAhead(bytes.NewReader(bytes.Repeat(src, 1<<15)), 1<<16, 2)
	if _, err := w.ReadInput(in); !errors.Is(err, full) {
		t.Errorf("failing destination: %v", err)
	}
	in.Close() // again: fine
}

type errWriter struct{ err error }

func (e errWriter) Write([]byte) (int, error) { return 0, e.err }
