package snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/storage/snapshot"
)

var ctx = context.Background()

// sample fills a memory store with entries whose keys and values exercise
// the format: empty and binary values, multibyte keys, a 1 MiB value.
func sample(t testing.TB) *memory.Backend {
	t.Helper()
	m := memory.New()
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	ops := []storage.Op{
		{Kind: storage.OpPut, Key: "a", Value: []byte("1")},
		{Kind: storage.OpPut, Key: "a/b/c", Value: bin},
		{Kind: storage.OpPut, Key: "empty", Value: nil},
		{Kind: storage.OpPut, Key: "u/日本", Value: []byte("x")},
		{Kind: storage.OpPut, Key: "big", Value: bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
		{Kind: storage.OpPut, Key: strings.Repeat("k", storage.MaxKeyLen), Value: []byte("long key")},
	}
	if err := m.Transaction(ctx, ops); err != nil {
		t.Fatal(err)
	}
	return m
}

func contents(t testing.TB, d storage.Dumper) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := d.Dump(ctx, func(e *storage.Entry) error { out[e.Key] = string(e.Value); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// A snapshot of one driver restores into another with the same entries,
// and the three checksums (Save's, Restore's, Sum of the target) agree.
func TestRoundTripAcrossDrivers(t *testing.T) {
	src := sample(t)
	var buf bytes.Buffer
	saved, err := snapshot.Save(ctx, &buf, src)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Entries != 6 {
		t.Errorf("Save counted %d entries, want 6", saved.Entries)
	}
	dst, err := bolt.Open(filepath.Join(t.TempDir(), "ward.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	restored, err := snapshot.Restore(ctx, bytes.NewReader(buf.Bytes()), dst)
	if err != nil {
		t.Fatal(err)
	}
	if restored != saved {
		t.Errorf("Restore read %v, Save wrote %v", restored, saved)
	}
	got, want := contents(t, dst), contents(t, src)
	if len(got) != len(want) {
		t.Fatalf("restored %d entries, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("restored %q = %d bytes, want %d", k[:min(len(k), 20)], len(got[k]), len(v))
		}
	}
	e, err := dst.Get(ctx, "empty")
	if err != nil || e.Value == nil {
		t.Errorf("restored empty value: %v, %v", e, err)
	}
	sum, err := snapshot.Sum(ctx, dst)
	if err != nil || sum != saved {
		t.Errorf("Sum of the restored store = %v, %v; want %v", sum, err, saved)
	}
	// A change in one value changes the checksum.
	dst.Put(ctx, &storage.Entry{Key: "a", Value: []byte("2")})
	if sum, _ := snapshot.Sum(ctx, dst); sum.SHA256 == saved.SHA256 {
		t.Error("Sum did not change when a value did")
	}
}

// Every truncation and every flipped byte of a snapshot is refused with
// ErrCorrupt, and Restore leaves the target empty.
func TestDamageIsRefused(t *testing.T) {
	m := memory.New()
	m.Put(ctx, &storage.Entry{Key: "a", Value: []byte("one")})
	m.Put(ctx, &storage.Entry{Key: "b/c", Value: []byte("two")})
	var buf bytes.Buffer
	if _, err := snapshot.Save(ctx, &buf, m); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	check := func(what string, data []byte) {
		t.Helper()
		dst := memory.New()
		_, err := snapshot.Restore(ctx, bytes.NewReader(data), dst)
		if !errors.Is(err, snapshot.ErrCorrupt) {
			t.Errorf("%s: Restore = %v, want ErrCorrupt", what, err)
		}
		if names, _ := dst.List(ctx, ""); len(names) != 0 {
			t.Errorf("%s: Restore of a damaged file wrote %q", what, names)
		}
	}
	for n := range len(good) {
		check(fmt.Sprintf("truncated to %d bytes", n), good[:n])
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		check("byte flipped", bad)
	}
	check("trailing data", append(bytes.Clone(good), 0))
}

func TestRestoreRefusesANonEmptyStore(t *testing.T) {
	var buf bytes.Buffer
	if _, err := snapshot.Save(ctx, &buf, sample(t)); err != nil {
		t.Fatal(err)
	}
	dst := memory.New()
	dst.Put(ctx, &storage.Entry{Key: "existing", Value: []byte("v")})
	if _, err := snapshot.Restore(ctx, &buf, dst); !errors.Is(err, snapshot.ErrNotEmpty) {
		t.Fatalf("Restore into a non-empty store = %v, want ErrNotEmpty", err)
	}
	if got := contents(t, dst); len(got) != 1 {
		t.Errorf("refused Restore changed the store: %q", got)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	m := memory.New()
	m.Put(ctx, &storage.Entry{Key: "a", Value: []byte("one")})
	m.Put(ctx, &storage.Entry{Key: "b/c", Value: nil})
	snapshot.Save(ctx, &buf, m)
	f.Add(buf.Bytes())
	f.Add([]byte("WARDSNAP\x00\x01\x00\x00"))
	f.Add([]byte("WARDSNAP\x00\x01\x01\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var n int
		s, err := snapshot.Read(bytes.NewReader(data), func(e *storage.Entry) error {
			if storage.CheckKey(e.Key) != nil || e.Value == nil {
				t.Fatalf("Read passed on an invalid entry %q", e.Key)
			}
			n++
			return nil
		})
		if err == nil && s.Entries != n {
			t.Fatalf("Read reported %d entries, passed on %d", s.Entries, n)
		}
		if err != nil && !errors.Is(err, snapshot.ErrCorrupt) {
			t.Fatalf("Read error %v does not wrap ErrCorrupt", err)
		}
	})
}
