package barrier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/wardhq/ward/internal/storage"
)

// raw returns the bytes the barrier stored at key.
func (f *fixture) raw(t testing.TB, key string) []byte {
	t.Helper()
	e, err := f.mem.Get(ctx, key)
	if err != nil {
		t.Fatalf("raw Get %q: %v", key, err)
	}
	return e.Value
}

// storedTerm parses the key term out of the stored value at key.
func (f *fixture) storedTerm(t testing.TB, key string) uint32 {
	t.Helper()
	h, err := parseCiphertext(key, f.raw(t, key))
	if err != nil {
		t.Fatal(err)
	}
	return h.term
}

func (f *fixture) plant(t testing.TB, key string, value []byte) {
	t.Helper()
	if err := f.mem.Put(ctx, &storage.Entry{Key: key, Value: value}); err != nil {
		t.Fatal(err)
	}
}

func wantDecryptError(t *testing.T, b *Barrier, key, what string) {
	t.Helper()
	_, err := b.Get(ctx, key)
	var de *DecryptError
	if !errors.Is(err, ErrDecrypt) || !errors.As(err, &de) || de.Key != key {
		t.Fatalf("%s: Get %q = %v, want a *DecryptError for the key wrapping ErrDecrypt", what, key, err)
	}
}

func TestStoredLayout(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	value := []byte("the plaintext")
	put(t, b, "k", string(value))
	raw := f.raw(t, "k")
	if len(raw) != headerLen+len(value)+tagLen {
		t.Fatalf("stored %d bytes for a %d-byte value, want %d", len(raw), len(value), headerLen+len(value)+tagLen)
	}
	if raw[0] != 1 || binary.BigEndian.Uint32(raw[1:5]) != 1 {
		t.Fatalf("header % x, want version 1, term 1", raw[:5])
	}
	put(t, b, "k", string(value))
	if again := f.raw(t, "k"); bytes.Equal(again[5:headerLen], raw[5:headerLen]) {
		t.Fatal("two writes used the same nonce")
	}
}

func TestEveryFlippedByteFails(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"sys/k", "env/prod/v/payments/db/0000000001"} {
		put(t, b, key, "a secret value")
		orig := f.raw(t, key)
		for i := range orig {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(orig)
				bad[i] ^= mask
				f.plant(t, key, bad)
				_, err := b.Get(ctx, key)
				if !errors.Is(err, ErrDecrypt) {
					t.Fatalf("%s: byte %d ^ %#x: Get = %v, want ErrDecrypt", key, i, mask, err)
				}
			}
		}
		f.plant(t, key, orig)
		if get(t, b, key) != "a secret value" {
			t.Fatal("original no longer reads")
		}
	}
}

func TestTruncatedFails(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	put(t, b, "k", "a secret value")
	orig := f.raw(t, "k")
	for n := range len(orig) {
		f.plant(t, "k", orig[:n])
		wantDecryptError(t, b, "k", "truncated")
	}
	f.plant(t, "k", append(bytes.Clone(orig), 0))
	wantDecryptError(t, b, "k", "extended")
}

func TestMovedFails(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	for _, env := range []string{"prod", "staging"} {
		if err := b.CreateEnvKey(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	from := "env/prod/v/payments/db/0000000003"
	put(t, b, from, "s3cret")
	for _, to := range []string{
		"env/prod/v/payments/db/0000000004",    // another version
		"env/prod/v/payments/api/0000000003",   // another path
		"env/staging/v/payments/db/0000000003", // another environment
		"sys/v/payments/db/0000000003",         // out of any environment
	} {
		f.plant(t, to, f.raw(t, from))
		wantDecryptError(t, b, to, "moved to "+to)
	}
	// A value sealed by the system keyring and moved into an environment.
	put(t, b, "sys/x", "s3cret")
	f.plant(t, "env/prod/x", f.raw(t, "sys/x"))
	wantDecryptError(t, b, "env/prod/x", "moved into an environment")
}

func TestUnknownTermOrVersion(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	put(t, b, "k", "v")
	raw := bytes.Clone(f.raw(t, "k"))
	binary.BigEndian.PutUint32(raw[1:5], 9)
	f.plant(t, "k", raw)
	_, err := b.Get(ctx, "k")
	var de *DecryptError
	if !errors.As(err, &de) || !bytes.Contains([]byte(de.Reason), []byte("term 9 is not in the system keyring")) {
		t.Fatalf("unknown term: %v", err)
	}
	raw[0] = 2
	f.plant(t, "k", raw)
	if _, err := b.Get(ctx, "k"); !errors.As(err, &de) || !bytes.Contains([]byte(de.Reason), []byte("version 2")) {
		t.Fatalf("unknown version: %v", err)
	}
}

// FuzzOpen feeds arbitrary stored bytes to the parser and decryption: they
// must never open (the fuzzer cannot forge a GCM tag) and never panic.
func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, keyLen)
	ring, err := (*keyring)(nil).addTerm(key, testInstall)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := seal(bytes.NewReader(make([]byte, nonceLen)), ring.terms[1].aead, 1, "other/key", []byte("v"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		plain, err := open(ring, "the test keyring", "the/key", b)
		if err == nil {
			t.Fatalf("arbitrary bytes opened to %d bytes", len(plain))
		}
		if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error %v does not wrap ErrDecrypt", err)
		}
	})
}
