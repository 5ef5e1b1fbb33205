package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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

// writeSample creates a data file holding n entries secret/<i> of size
// bytes each and returns its bytes.
func writeSample(t testing.TB, n, size int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ward.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var ops []storage.Op
	for i := range n {
		v := make([]byte, size)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: fmt.Sprintf("secret/%04d", i), Value: v})
	}
	if err := db.Transaction(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDamagedFile opens data files damaged in the ways disks and people
// damage them. Each must give an error wrapping ErrCorrupt that names the
// file, never a panic or a crash.
func TestDamagedFile(t *testing.T) {
	sample := writeSample(t, 512, 4096)
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

func TestEmptyFileIsANewStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatalf("Open of a zero-byte file: %v", err)
	}
	defer db.Close()
	if names, err := db.List(context.Background(), ""); err != nil || len(names) != 0 {
		t.Errorf("List of a new store = %q, %v", names, err)
	}
}

// TestTornMetaFallsBack checks the torn write bbolt is built for: one of the
// two meta pages half written. Open uses the other one, which describes the
// commit before: the sample's one transaction of 512 entries, or the empty
// store before it.
func TestTornMetaFallsBack(t *testing.T) {
	sample := writeSample(t, 512, 4096)
	var seen []int
	for meta := range 2 {
		b := append([]byte(nil), sample...)
		clear(b[meta*4096+16 : meta*4096+64]) // inside the meta's fields, before its checksum
		path := filepath.Join(t.TempDir(), "ward.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatalf("Open with meta page %d torn: %v", meta, err)
		}
		names, err := db.List(context.Background(), "secret/")
		db.Close()
		if err != nil {
			t.Fatalf("List with meta page %d torn: %v", meta, err)
		}
		seen = append(seen, len(names))
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []int{0, 512}) {
		t.Errorf("with either meta page torn, List found %v entries; want the last commit (512) once and the one before (0) once", seen)
	}
}

// TestDamagedPages overwrites pages in the middle of the file. Open may
// notice or not; either way every call returns an error wrapping ErrCorrupt
// or a correct answer, and the process does not crash.
func TestDamagedPages(t *testing.T) {
	sample := writeSample(t, 512, 4096)
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

// trimSample cuts the unused pages off the end of a data file, so that the
// fuzzer mutates only pages in use and the inputs it keeps stay small.
func trimSample(t testing.TB, data []byte) []byte {
	for size := 4 * 4096; size < len(data); size += 4096 {
		path := filepath.Join(t.TempDir(), "ward.db")
		if err := os.WriteFile(path, data[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		if db, err := bolt.Open(path, bolt.Options{}); err == nil {
			db.Close()
			return data[:size]
		}
	}
	return data
}

// FuzzOpenDamaged opens mutations of a small data file: no input may crash
// the process; every call returns a correct answer or ErrCorrupt.
func FuzzOpenDamaged(f *testing.F) {
	f.Add(trimSample(f, writeSample(f, 12, 40)))
	f.Fuzz(func(t *testing.T, data []byte) {
		readDamaged(t, data)
	})
}

// readDamaged writes data to a file and reads it back through every method,
// accepting ErrCorrupt from any of them.
func readDamaged(t *testing.T, data []byte) {
	t.Helper()
	// A damaged page can claim a huge node, which bbolt would copy out
	// and write back on the next commit; the cap keeps that small.
	opts := bolt.Options{MaxSize: 16 << 20}
	path := filepath.Join(t.TempDir(), "ward.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, opts)
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
		// A damaged key can hold a NUL, which makes it an invalid key.
		switch {
		case err == nil, errors.Is(err, bolt.ErrCorrupt), errors.Is(err, bolt.ErrFull),
			errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalidKey):
		default:
			t.Errorf("%s on a damaged file = %v, want success, ErrNotFound, ErrInvalidKey, ErrFull or ErrCorrupt", method, err)
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

func TestMaxSizeGivesErrFull(t *testing.T) {
	db := openTemp(t, bolt.Options{MaxSize: 1 << 20})
	defer db.Close()
	ctx := context.Background()
	value := make([]byte, 64<<10)
	var err error
	var stored int
	for ; stored < 100; stored++ {
		err = db.Put(ctx, &storage.Entry{Key: fmt.Sprintf("big/%03d", stored), Value: value})
		if err != nil {
			break
		}
	}
	if !errors.Is(err, bolt.ErrFull) {
		t.Fatalf("writing 6.4 MiB into a 1 MiB cap: %v after %d puts, want ErrFull", err, stored)
	}
	if _, err := db.Get(ctx, fmt.Sprintf("big/%03d", stored)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the put refused with ErrFull was stored (Get: %v)", err)
	}
	names, err := db.List(ctx, "big/")
	if err != nil || len(names) != stored {
		t.Errorf("List after ErrFull = %d names, %v; want the %d stored before", len(names), err, stored)
	}
	if err := db.Delete(ctx, "big/000"); err != nil {
		t.Errorf("Delete when full: %v", err)
	}
}
