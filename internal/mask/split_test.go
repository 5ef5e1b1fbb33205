package mask

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

const stamp = "2026-01-02T03:04:05.0000000Z "

// splitLog is a value printed across two lines as the shared log generator
// does it: the head at the end of one line, the tail after a timestamp and
// a prefix on the next.
func splitLog(v string, h int, prefix, nl string) string {
	return stamp + "+ echo -n " + v[:h] + nl + stamp + prefix + v[h:] + suffixOf(prefix) + nl + stamp + "done" + nl
}

// suffixOf closes what prefix opened.
func suffixOf(prefix string) string {
	switch {
	case strings.HasPrefix(prefix, "{"):
		return `","region":"us-east-1"}`
	case strings.Contains(prefix, "https://"):
		return "@github.com/acme/repo.git"
	}
	return ""
}

var splitPrefixes = []string{
	"+ export TOKEN=",
	"> Authorization: Bearer ",
	`{"level":"debug","msg":"config loaded","token":"`,
	"+ git push https://x-access-token:",
	"", // the tail at the start of the line
}

// TestSplitShortHalves splits values whose halves are shorter than
// WindowLen, as the log generator does, and checks that neither half
// survives and that nothing else was touched.
func TestSplitShortHalves(t *testing.T) {
	values := []string{
		"AKIAIOSFODNN7EXAMPLE",          // 20 bytes: halves of 10
		"glpat-Zx8_k2LmQ9vT3wYpR1sN",    // 26: 13
		"Pq7!x#2m@Lr9^v&Z",              // 16: 8
		"h7#Kp2@qW9!zR4^mT6&vB1*nC8-xF", // 29: 14 and 15
		"k9Qw-2xZ",                      // 8: 4 and 4
	}
	for _, v := range values {
		for _, prefix := range splitPrefixes {
			for _, nl := range []string{"\n", "\r\n"} {
				in := splitLog(v, len(v)/2, prefix, nl)
				want := stamp + "+ echo -n [masked:s]" + nl + stamp + prefix + "[masked:s]" + suffixOf(prefix) + nl + stamp + "done" + nl
				m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, size := range []int{len(in), 1, 2, 3, 5, 7, 16, 29, 64} {
					if got := maskChunks(m, in, size); got != want {
						t.Errorf("%d-byte value, prefix %q, %q, chunks of %d:\n got %q\nwant %q", len(v), prefix, nl, size, redact(got, v), want)
					}
				}
			}
		}
	}
}

// redact hides the pieces of v in a failure message.
func redact(s, v string) string {
	return strings.ReplaceAll(s, v[:len(v)/2], "<HEAD>")
}

// TestSplitEveryPosition cuts a value at every position, in its raw and
// base64 forms, and checks which pieces are masked: both when the head is at
// least minSplitHead bytes, else only a tail of at least WindowLen bytes.
func TestSplitEveryPosition(t *testing.T) {
	v := "xK9#mQ2$vL7@pR4!wZ" // 18 bytes
	for _, f := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
		m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for h := 1; h < len(f); h++ {
			for _, nl := range []string{"\n", "\r\n"} {
				in := "+ echo -n " + f[:h] + nl + stamp + "TOKEN=" + f[h:] + nl
				head, tail := f[:h], f[h:]
				if h >= minSplitHead {
					head = "[masked:s]"
				}
				if h >= minSplitHead || len(f)-h >= WindowLen {
					tail = "[masked:s]"
				}
				want := "+ echo -n " + head + nl + stamp + "TOKEN=" + tail + nl
				for _, size := range []int{len(in), 1, 4} {
					if got := maskChunks(m, in, size); got != want {
						t.Errorf("%d-byte form cut at %d, %q, chunks of %d:\n got %q\nwant %q", len(f), h, nl, size, got, want)
					}
				}
			}
		}
	}
}

// TestSplitShortTail checks that a tail of one to three bytes is masked only
// where it stands alone, not inside a word or the timestamp.
func TestSplitShortTail(t *testing.T) {
	v := "Zr8-p2Kq7w" // 10 bytes
	m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"alone after =", "echo Zr8-p2K\n" + stamp + "x=q7w\n", "echo [masked:s]\n" + stamp + "x=[masked:s]\n"},
		{"alone at the end of the stream", "echo Zr8-p2K\n" + stamp + "x=q7w", "echo [masked:s]\n" + stamp + "x=[masked:s]"},
		{"inside a word", "echo Zr8-p2K\n" + stamp + "aq7wb\n", "echo Zr8-p2K\n" + stamp + "aq7wb\n"},
		{"not on the next line", "echo Zr8-p2K\nnext\n" + stamp + "x=q7w\n", "echo Zr8-p2K\nnext\n" + stamp + "x=q7w\n"},
		{"first occurrence that stands alone", "echo Zr8-p2K\nq7wq7w q7w q7w\n", "echo [masked:s]\nq7wq7w [masked:s] q7w\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{len(tt.in), 1, 3} {
				if got := maskChunks(m, tt.in, size); got != tt.want {
					t.Errorf("chunks of %d: got %q, want %q", size, got, tt.want)
				}
			}
		})
	}
}

// TestSplitNotMasked lists lines that end with the beginning of a value but
// are not followed by its rest: they pass unchanged.
func TestSplitNotMasked(t *testing.T) {
	v := "AKIAIOSFODNN7EXAMPLE"
	m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	far := strings.Repeat("y", splitReach)
	for _, in := range []string{
		"key AKIAIOSF\nnext line\n",               // no tail
		"key AKIAIOSF\n" + far + "ODNN7EXAMPLE\n", // tail beyond splitReach
		"key AKIAIOSF\nline\nODNN7EXAMPLE\n",      // tail two lines down
		"key AKIAIOSF \nODNN7EXAMPLE\n",           // head not at the end of its line
		"key AKIAIOSF\nx ODNN7EXAMPL\n",           // tail incomplete
		"key AKIAIOSFX\nODNN7EXAMPLE\n",           // not a prefix
		"AKI\nx AIOSFODNN7EXAMPLE and more\n",     // head shorter than minSplitHead
	} {
		want := in
		if strings.HasPrefix(in, "AKI\n") {
			// The 17-byte tail is windows: masked without the head.
			want = "AKI\nx [masked:s] and more\n"
		}
		for _, size := range []int{len(in), 1} {
			if got := maskChunks(m, in, size); got != want {
				t.Errorf("chunks of %d: got %q, want %q", size, got, want)
			}
		}
	}
}

// TestSplitHoldsUntilDecided writes a split value one byte at a time, firing
// the flush timer after each byte, and checks that no byte of either piece
// leaves before the pair is decided, and that the bytes before the head do.
func TestSplitHoldsUntilDecided(t *testing.T) {
	v := "AKIAIOSFODNN7EXAMPLE"
	clock := &fakeClock{}
	m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{AfterFunc: clock.AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	in := "+ echo -n AKIAIOSFOD\n" + stamp + "+ export TOKEN=NN7EXAMPLE\n"
	for i := range len(in) {
		w.Write([]byte{in[i]})
		clock.fire()
		for _, piece := range []string{"AKIA", "NN7E", "XAMPLE"} {
			if strings.Contains(out.String(), piece) {
				t.Fatalf("after byte %d a piece of the value was released: %q", i, out.String())
			}
		}
	}
	if !strings.HasPrefix(out.String(), "+ echo -n ") {
		t.Errorf("the bytes before the head were held: %q", out.String())
	}
	w.Close()
	if want := "+ echo -n [masked:s]\n" + stamp + "+ export TOKEN=[masked:s]\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestSplitReleasesWhenDecided checks that a held line goes out once the
// next line shows that no tail follows.
func TestSplitReleasesWhenDecided(t *testing.T) {
	m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte("AKIAIOSFODNN7EXAMPLE")}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	w.Write([]byte("key AKIAIOSF\nprogress 10%"))
	w.Flush()
	if got := out.String(); got != "key " {
		t.Fatalf("before the next line ended: %q", got)
	}
	w.Write([]byte(" 20%\n"))
	w.Flush()
	if got := out.String(); got != "key AKIAIOSF\nprogress 10% 20%\n" {
		t.Errorf("after the next line ended: %q", got)
	}
	w.Write([]byte("key AKIAIOSF\n" + strings.Repeat(".", splitReach+1)))
	w.Flush()
	if got := out.String(); !strings.HasSuffix(got, strings.Repeat(".", splitReach+1)) {
		t.Errorf("a next line longer than splitReach was held: %q", got[len(got)-20:])
	}
}

// TestSplitAtEveryChunkBoundary writes split values in two writes, cut at
// every position of the input, with a flush between them.
func TestSplitAtEveryChunkBoundary(t *testing.T) {
	v := "glpat-Zx8_k2LmQ9vT3wYpR1sN"
	m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{AfterFunc: (&fakeClock{}).AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	for _, nl := range []string{"\n", "\r\n"} {
		in := splitLog(v, 13, "+ export TOKEN=", nl)
		want := stamp + "+ echo -n [masked:s]" + nl + stamp + "+ export TOKEN=[masked:s]" + nl + stamp + "done" + nl
		for c := 0; c <= len(in); c++ {
			var out bytes.Buffer
			w := m.NewWriter(&out)
			w.Write([]byte(in[:c]))
			w.Flush()
			if s := out.String(); strings.Contains(s, v[:4]) || strings.Contains(s, v[13:17]) {
				t.Fatalf("%q, cut at %d: a piece was released before the rest arrived", nl, c)
			}
			w.Write([]byte(in[c:]))
			w.Close()
			if got := out.String(); got != want {
				t.Errorf("%q, cut at %d: got %q, want %q", nl, c, redact(got, v), want)
			}
		}
	}
}

// TestSplitTailHeldAfterHead covers a tail that is itself the start of a
// form, so that the Writer holds it after it has written the masked head:
// the head must still be in the Writer's context when the tail is decided.
func TestSplitTailHeldAfterHead(t *testing.T) {
	v := "Zq7!Zq7!" // the tail "Zq7!" may begin the whole value
	m, _, err := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := m.NewWriter(&out)
	w.Write([]byte("+ echo -n Zq7!\n" + stamp + "+ export TOKEN=Zq7!"))
	w.Write([]byte("\n"))
	w.Close()
	if want := "+ echo -n [masked:s]\n" + stamp + "+ export TOKEN=[masked:s]\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestSplitAcrossParts puts a split value at every place around the border
// between two parts of a parallel scan and checks that the parts find what
// one goroutine finds.
func TestSplitAcrossParts(t *testing.T) {
	defer func(n int) { parallelMin = n }(parallelMin)
	parallelMin = 1 << 10
	v := "AKIAIOSFODNN7EXAMPLE"
	one, _, _ := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{Workers: 1})
	two, _, _ := NewMatcher([]Secret{{Name: "s", Value: []byte(v)}}, Options{Workers: 2})
	const size = 4 << 10
	pair := "+ echo -n " + v[:10] + "\n" + stamp + "+ export TOKEN=" + strings.Repeat("x", 150) + v[10:] + "\n"
	for at := size/2 - len(pair); at <= size/2; at++ {
		in := []byte(strings.Repeat("y", at) + pair)
		in = append(in, strings.Repeat("z", size-len(in))...)
		want := one.find(in, nil, true)
		if len(want) != 2 {
			t.Fatalf("one goroutine found %d matches, want the 2 pieces", len(want))
		}
		if got := two.find(in, nil, true); len(got) == 0 || got[0] != want[0] || got[len(got)-1] != want[1] {
			t.Errorf("pair at %d: two parts found %v, one goroutine %v", at, got, want)
		}
	}
}
