package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzScanReader feeds hostile bytes (archives, compressed streams,
// anything) to the scanner: it must not panic, must stay within its byte
// budget, and every finding must have a sane position.
func FuzzScanReader(f *testing.F) {
	f.Add([]byte(secretText))
	f.Add(gz(f, []byte(secretText)))
	f.Add(tarOf(f, entry{name: "a", data: []byte(secretText)}, entry{name: "l", link: "/etc"}))
	f.Add(zipOf(f, entry{name: "../x", data: []byte(secretText)}))
	f.Add(gz(f, tarOf(f, entry{name: "in.zip", data: zipOf(f, entry{name: "y", data: gz(f, []byte(secretText))})})))
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte("Z2hwX0h4QVZpNkV5dWNjMTJwbVRjMkphWkplNWRJQm15TzMxY1hmbA== %67%68 \\u0067"))
	s, err := New(Config{Key: []byte("k"), MaxBytes: 1 << 20, MaxDepth: 4, Window: 4096, TempDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := s.ScanReader(context.Background(), "fuzz", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range res.Findings {
			if fd.StartLine < 1 || fd.StartColumn < 1 || fd.EndLine < fd.StartLine || fd.EndColumn < 1 ||
				(fd.EndLine == fd.StartLine && fd.EndColumn < fd.StartColumn) {
				t.Fatalf("bad position %d:%d-%d:%d", fd.StartLine, fd.StartColumn, fd.EndLine, fd.EndColumn)
			}
		}
	})
}

// FuzzEncodedRuns checks that the decoding passes stay inside the buffer.
func FuzzEncodedRuns(f *testing.F) {
	f.Add([]byte("a=Z2hwX0h4QVZpNkV5dWNjMTJwbVRjMkphWkplNWRJQm15TzMxY1hmbA== b=%41%42%43%44%45%46%47%48 c=\\u0041\\u0042\\n\\\"x\\\" 4142434445464748494a4b4c4d4e4f50"))
	f.Fuzz(func(t *testing.T, data []byte) {
		encodedRuns(data, len(data), func(kind string, start, end int, decoded []byte) {
			if start < 0 || end > len(data) || start >= end {
				t.Fatalf("%s run [%d,%d) outside [0,%d)", kind, start, end, len(data))
			}
		})
	})
}

// FuzzParseRules checks that any rules file either compiles or fails with a
// *RuleError.
func FuzzParseRules(f *testing.F) {
	f.Add(defaultRules)
	f.Add([]byte("version: 1\nrules:\n  - id: x\n    keywords: [a]\n    regex: a(?P<secret>b)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRuleSet("fuzz.yaml", data)
		if err == nil && rs == nil {
			t.Fatal("nil set without an error")
		}
		if rs != nil {
			e := &engine{rules: rs, key: []byte("k"), decodeDepth: 1}
			e.scan(data, len(data), 0, func(match) {})
		}
	})
}

// FuzzFoldedBase64 folds the base64 of any payload at any width from
// minFoldLine, with LF or CRLF, and checks that one run covers the whole
// block and decodes to the payload; and on any input that a joined run
// stays in the buffer and holds only its base64 characters.
func FuzzFoldedBase64(f *testing.F) {
	f.Add([]byte("GITHUB_TOKEN=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\n"), uint8(20), true)
	f.Add([]byte{0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(64), false)
	f.Add([]byte("QUJD\nREVG\r\nR0hJ=="), uint8(76), false)
	f.Fuzz(func(t *testing.T, payload []byte, w uint8, crlf bool) {
		// Any input: runs stay inside and hold base64 only.
		encodedRuns(payload, len(payload), func(kind string, start, end int, _ []byte) {
			if start < 0 || end > len(payload) || start >= end {
				t.Fatalf("%s run [%d,%d) outside [0,%d)", kind, start, end, len(payload))
			}
		})
		width := minFoldLine + int(w)%100
		enc := base64.StdEncoding.EncodeToString(payload)
		if len(payload) < 16 || len(enc) <= width || !textLike(payload) {
			return
		}
		nl := "\n"
		if crlf {
			nl = "\r\n"
		}
		var b strings.Builder
		b.WriteString("x: ")
		for s := enc; s != ""; {
			n := min(width, len(s))
			b.WriteString(s[:n])
			if s = s[n:]; s != "" {
				b.WriteString(nl)
			}
		}
		b.WriteString(nl)
		text := []byte(b.String())
		found := false
		encodedRuns(text, len(text), func(kind string, start, end int, decoded []byte) {
			// The padding may be left out when a fold cuts it.
			if kind == EncBase64 && start == 3 && end >= len(text)-len(nl)-2-len(nl) && bytes.Equal(decoded, payload) {
				found = true
			}
		})
		if !found {
			t.Fatalf("width %d: the folded block was not decoded whole", width)
		}
	})
}
