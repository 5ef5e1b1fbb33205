package scan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"
)

// tok is a fake GitHub token with a valid checksum.
const tok = "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"

// secretText has tok on line 2, columns 7 to 46.
const secretText = "first line\ntoken=" + tok + "\nlast line\n"

func newTestScanner(t testing.TB, cfg Config) *Scanner {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = []byte("test key")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func scanBytes(t testing.TB, cfg Config, data []byte) *Result {
	t.Helper()
	res, err := newTestScanner(t, cfg).ScanReader(context.Background(), "input", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type entry struct {
	name string
	data []byte
	link string // a symlink to this target, when set
}

func tarOf(t testing.TB, es ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Linkname: e.link, Typeflag: tar.TypeSymlink}
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipOf(t testing.TB, es ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range es {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		data := e.data
		if e.link != "" {
			h.SetMode(0o777 | 1<<27) // os.ModeSymlink
			data = []byte(e.link)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(f, bytes.NewReader(data))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// only returns the findings of one rule.
func only(fs []Finding, rule string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}
