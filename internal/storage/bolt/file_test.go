package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
)

func TestNewFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("new data file has mode %v, want 0600", mode)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "ward.db")
	_, err := bolt.Open(path, bolt.Options{})
	if err == nil || errors.Is(err, bolt.ErrCorrupt) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open in a missing directory = %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 100 {
		if err := db.Put(ctx, &storage.Entry{Key: fmt.Sprintf("k/%03d", i), Value: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Delete(ctx, "k/050"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := db.List(ctx, "k/")
	if err != nil || len(names) != 99 {
		t.Fatalf("after reopen List = %d names, %v; want 99", len(names), err)
	}
	if e, err := db.Get(ctx, "k/042"); err != nil || e.Value[0] != 42 {
		t.Errorf("after reopen Get(k/042) = %v, %v", e, err)
	}
}

func TestSameProcessSecondOpenGetsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := bolt.Open(path, bolt.Options{LockTimeout: 50e6}); !errors.Is(err, bolt.ErrInUse) {
		t.Errorf("second Open = %v, want ErrInUse", err)
	}
}

// writeSample creates a data file holding about 2 MiB in 512 entries and
// returns its path and bytes.
func writeSample(t testing.TB) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ward.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 512 {
		v := make([]byte, 4096)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		if err := db.Put(ctx, &storage.Entry{Key: fmt.Sprintf("secret/%04d", i), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// TestDamagedFile opens data files damaged in the ways disks and people
// damage them. Each must give an error wrapping ErrCorrupt that names the
// file, never a panic or a crash.
func TestDamagedFile(t *testing.T) {
	_, sample := writeSample(t)
	const page = 4096
	cases := map[string]func([]byte) []byte{
		"Empty10Bytes": func([]byte) []byte { return []byte("0123456789") },
		"Garbage": func([]byte) []byte {
			b := make([]byte, 64*1024)
			for i := range b {
				b[i] = byte(i*7 + i/251)
			}
			return b
		},
		"TextFile":        func([]byte) []byte { return []byte(strings.Repeat("ward secrets\n", 1000)) },
		"BothMetasZeroed": func(b []byte) []byte { clear(b[:2*page]); return b },
		"TruncatedToHalf": func(b []byte) []byte { return b[:len(b)/2] },
		"TruncatedToMetas": func(b []byte) []byte {
			return b[:2*page]
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ward.db")
			if err := os.WriteFile(path, damage(append([]byte(nil), sample...)), 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, bolt.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open of a damaged file succeeded")
			}
			if !errors.Is(err, bolt.ErrCorrupt) {
				t.Errorf("Open of a damaged file = %v, want an error wrapping ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestTornMetaFallsBack checks the torn write bbolt is built for: one of the
// two meta pages half written. Open uses the other one and the data is there.
func TestTornMetaFallsBack(t *testing.T) {
	_, sample := writeSample(t)
	for meta := range 2 {
		t.Run(fmt.Sprint(meta), func(t *testing.T) {
			b := append([]byte(nil), sample...)
			clear(b[meta*4096+16 : meta*4096+64]) // inside the meta's fields, before its checksum
			path := filepath.Join(t.TempDir(), "ward.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, bolt.Options{})
			if err != nil {
				t.Fatalf("Open with one torn meta page: %v", err)
			}
			defer db.Close()
			names, err := db.List(context.Background(), "secret/")
			if err != nil || len(names) < 500 {
				t.Errorf("List after falling back to the other meta = %d names, %v", len(names), err)
			}
		})
	}
}

// TestDamagedPages overwrites pages in the middle of the file. Open may
// notice or not; either way every call returns an error wrapping ErrCorrupt
// or a correct answer, and the process does not crash.
func TestDamagedPages(t *testing.T) {
	_, sample := writeSample(t)
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			b := append([]byte(nil), sample...)
			rng := rand.New(rand.NewPCG(seed, 7))
			for range 4 {
				pg := 2 + rng.IntN(len(b)/4096-2)
				for i := pg * 4096; i < (pg+1)*4096; i++ {
					b[i] = byte(rng.Uint32())
				}
			}
			readDamaged(t, b)
		})
	}
}

// readDamaged writes data to a file and reads it back through every method,
// accepting ErrCorrupt from any of them.
func readDamaged(t *testing.T, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ward.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		if !errors.Is(err, bolt.ErrCorrupt) {
			t.Errorf("Open = %v, want success or ErrCorrupt", err)
		}
		t.Logf("Open: %v", err)
		return
	}
	defer db.Close()
	ok := func(method string, err error) {
		t.Helper()
		if err != nil && !errors.Is(err, bolt.ErrCorrupt) && !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s on a damaged file = %v, want success, ErrNotFound or ErrCorrupt", method, err)
		}
		if errors.Is(err, bolt.ErrCorrupt) {
			t.Logf("%s: %v", method, err)
		}
	}
	ctx := context.Background()
	names, err := db.List(ctx, "secret/")
	ok("List", err)
	for _, n := range names {
		_, err := db.Get(ctx, "secret/"+n)
		ok("Get", err)
	}
	ok("Put", db.Put(ctx, &storage.Entry{Key: "secret/0001", Value: []byte("new")}))
	ok("Delete", db.Delete(ctx, "secret/0002"))
}
