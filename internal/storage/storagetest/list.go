package storagetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// listKeys are written before each List case. They include bytes that sort
// differently under locale collation than under byte order ("B" < "a",
// "." < "/" < "0", multibyte UTF-8 after ASCII), SQL LIKE wildcards ("%",
// "_") and escapes ("\\"), so a driver that leans on a database's collation
// or pattern matching fails.
var listKeys = []string{
	"a",
	"a.",
	"a/x",
	"a/y/z",
	"a/y/zz",
	"a0",
	"B",
	"apple",
	"apricot/seed",
	"apricot/stone/pit",
	"app/le",
	"dir/",
	"dir//double",
	"dir/sub/",
	"esc/%",
	"esc/_",
	"esc/a%b/c",
	"esc/a_b",
	"esc/ab",
	"esc/\\",
	"esc/\\%",
	"u/é",
	"u/z",
	"u/日本",
	"u/ ",
	"u/\t",
	"u/~",
	"deep/1/2/3/4/5",
	"deep/1/other",
}

func (s suite) testList(t *testing.T) {
	cases := []struct {
		name, prefix string
		want         []string
	}{
		{"EmptyPrefix", "", []string{"B", "a", "a.", "a/", "a0", "app/", "apple", "apricot/", "deep/", "dir/", "esc/", "u/"}},
		{"DirectChildrenOnly", "a/", []string{"x", "y/"}},
		{"FolderOnceForManyKeys", "a/y/", []string{"z", "zz"}},
		{"PrefixWithoutSlash", "ap", []string{"p/", "ple", "ricot/"}},
		{"KeyEqualToPrefixNotListed", "a", []string{".", "/", "0", "pp/", "pple", "pricot/"}},
		{"KeyEqualToFolderNotListed", "dir/", []string{"/", "sub/"}},
		{"OnlyTrailingSlashKey", "dir/sub/", nil},
		{"Nested", "apricot/", []string{"seed", "stone/"}},
		{"DeepNested", "deep/1/2/3/", []string{"4/"}},
		{"Deepest", "deep/1/2/3/4/", []string{"5"}},
		{"WildcardsAreLiteral", "esc/a", []string{"%b/", "_b", "b"}},
		{"WildcardPrefix", "esc/a%", []string{"b/"}},
		{"UnderscorePrefix", "esc/_", nil},
		{"BackslashPrefix", "esc/\\", []string{"%"}},
		{"ByteOrder", "u/", []string{"\t", " ", "z", "~", "é", "日本"}},
		{"NoMatch", "zzz", nil},
		{"NoMatchBetweenKeys", "a/xx", nil},
	}
	b := s.fresh(t)
	for _, k := range listKeys {
		put(t, b, k, "v:"+k)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.List(context.Background(), tc.prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", tc.prefix, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		})
	}
	t.Run("EmptyStore", func(t *testing.T) {
		got, err := s.fresh(t).List(context.Background(), "")
		if err != nil || len(got) != 0 {
			t.Errorf("List(\"\") of an empty store = %q, %v; want nothing and no error", got, err)
		}
	})
	t.Run("AfterDeleteOfLastKeyInFolder", func(t *testing.T) {
		b := s.fresh(t)
		put(t, b, "f/only", "v")
		put(t, b, "g", "v")
		if err := b.Delete(context.Background(), "f/only"); err != nil {
			t.Fatal(err)
		}
		got, err := b.List(context.Background(), "")
		if err != nil || !slices.Equal(got, []string{"g"}) {
			t.Errorf("List(\"\") = %q, %v; want [\"g\"]", got, err)
		}
	})
	t.Run("ManyFolders", func(t *testing.T) {
		// Folders with many keys each, so a driver that skips a folder
		// with one seek and one that walks every key agree.
		b := s.fresh(t)
		var want []string
		for i := range 20 {
			dir := fmt.Sprintf("d%02d", i)
			want = append(want, dir+"/")
			var ops []storage.Op
			for j := range 30 {
				ops = append(ops, putOp(fmt.Sprintf("%s/k%02d", dir, j), "v"))
			}
			if i%5 == 0 {
				ops = append(ops, putOp(dir, "v")) // a key next to its own folder
				want = append(want, dir)
			}
			if err := b.Transaction(context.Background(), ops); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(want)
		got, err := b.List(context.Background(), "")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("List(\"\") = %q, %v; want %q", got, err, want)
		}
	})
}
