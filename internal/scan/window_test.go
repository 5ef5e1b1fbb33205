package scan

import (
	"bytes"
	"strings"
	"testing"
)

// TestWindowBoundaries puts a secret at every offset around a window
// boundary (and a private key, the longest kind of match, across several)
// and checks that it is found exactly once, at the right line and column.
func TestWindowBoundaries(t *testing.T) {
	const window = 128
	filler := bytes.Repeat([]byte("lorem ipsum dolor sit amet, consectetur.\n"), (Overlap+3*window)/41+1)
	s := newTestScanner(t, Config{Window: window, MaxDecodeDepth: -1})
	// The first boundary is at window bytes (the first window reports
	// matches starting before len(buf)-Overlap = window).
	boundary := window
	for off := boundary - len(tok) - 2; off <= boundary+window+2; off++ {
		data := append([]byte(nil), filler...)
		needle := []byte(" " + tok + " ")
		copy(data[off:], needle)
		res, err := s.ScanReader(t.Context(), "f", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		fs := only(res.Findings, "github-pat")
		start := off + 1
		wantLine := bytes.Count(data[:start], []byte{'\n'}) + 1
		wantCol := start - bytes.LastIndexByte(data[:start], '\n')
		if len(fs) != 1 {
			// The needle may have overwritten a newline and joined lines: still one finding.
			t.Fatalf("offset %d: %d findings", off, len(fs))
		}
		if fs[0].StartLine != wantLine || fs[0].StartColumn != wantCol || fs[0].EndColumn != wantCol+len(tok)-1 {
			t.Fatalf("offset %d: at %d:%d-%d, want %d:%d-%d", off, fs[0].StartLine, fs[0].StartColumn, fs[0].EndColumn, wantLine, wantCol, wantCol+len(tok)-1)
		}
	}
}

func TestWindowLongMatch(t *testing.T) {
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Repeat("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n", 60) + "-----END OPENSSH PRIVATE KEY-----"
	pre := strings.Repeat("x\n", 100)
	data := []byte(pre + key + "\n" + strings.Repeat("y\n", Overlap))
	for _, window := range []int{64, 1000, 4096, DefaultWindow} {
		res := scanBytes(t, Config{Window: window, MaxDecodeDepth: -1}, data)
		fs := only(res.Findings, "private-key")
		if len(fs) != 1 || fs[0].StartLine != 101 || fs[0].EndLine != 162 || fs[0].EndColumn != 33 {
			t.Errorf("window %d: %+v", window, fs)
		}
	}
}
