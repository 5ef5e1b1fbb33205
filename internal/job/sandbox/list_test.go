package sandbox

import (
	"errors"
	"slices"
	"testing"
)

func TestListRoundTrip(t *testing.T) {
	for _, paths := range [][]string{
		nil,
		{"/home/ci/.ward/token"},
		{""},
		{"/a:b/12:c", "/tmp/x y\nz", "/t/ключ", ""},
		{"0123456789/:::"},
	} {
		enc := EncodeList(paths)
		got, err := decodeList(enc)
		if err != nil || !slices.Equal(got, paths) {
			t.Errorf("%q: encoded %q, decoded %q, %v", paths, enc, got, err)
		}
	}
	if got := EncodeList([]string{"/a", "/bc:"}); got != "2:/a4:/bc:" {
		t.Errorf("EncodeList = %q, want 2:/a4:/bc:", got)
	}
}

func TestDecodeListRejects(t *testing.T) {
	for _, s := range []string{
		"x", "1", "1:", ":a", "01:a", "-1:", "2:a", "1:ab", "1:a:",
		"99999999999999999999999:a", "1:a1", "+1:a", " 1:a",
	} {
		if got, err := decodeList(s); !errors.Is(err, errBadList) {
			t.Errorf("decodeList(%q) = %q, %v; want errBadList", s, got, err)
		}
	}
}

// Whatever the environment holds, decodeList either refuses it or reads
// what EncodeList writes back unchanged.
func FuzzDecodeList(f *testing.F) {
	f.Add("2:/a4:/bc:")
	f.Add("01:a")
	f.Add("99999999999999999999999:a")
	f.Fuzz(func(t *testing.T, s string) {
		paths, err := decodeList(s)
		if err != nil {
			return
		}
		if enc := EncodeList(paths); enc != s {
			t.Fatalf("decodeList(%q) = %q, which encodes as %q", s, paths, enc)
		}
	})
}
