package barrier

import (
	"bytes"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, keyLen) }

func TestKeyringIsImmutable(t *testing.T) {
	r1, err := (*keyring)(nil).addTerm(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := r1.addTerm(testKey(2))
	if err != nil {
		t.Fatal(err)
	}
	if r1.active != 1 || len(r1.terms) != 1 {
		t.Fatalf("addTerm changed the old keyring: active %d, %d terms", r1.active, len(r1.terms))
	}
	if r2.active != 2 || len(r2.terms) != 2 {
		t.Fatalf("new keyring: active %d, %d terms", r2.active, len(r2.terms))
	}
	if _, ok := r2.aead(1); !ok {
		t.Fatal("new keyring lost term 1")
	}
	if _, ok := r1.aead(2); ok {
		t.Fatal("old keyring gained term 2")
	}
	if _, err := r2.addTerm(make([]byte, 16)); err == nil {
		t.Fatal("addTerm accepted a 128-bit key")
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	r, _ := (*keyring)(nil).addTerm(testKey(1))
	r, _ = r.addTerm(testKey(2))
	r, _ = r.addTerm(testKey(3))
	b := r.marshal()
	got, err := parseKeyring(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.marshal(), b) || got.active != 3 {
		t.Fatalf("round trip changed the keyring")
	}
	clear(b)
	if got.terms[2].key[0] != 2 {
		t.Fatal("parseKeyring kept a reference to its input")
	}
}

func TestParseKeyringRefuses(t *testing.T) {
	r, _ := (*keyring)(nil).addTerm(testKey(1))
	good := r.marshal()
	noActive := bytes.Clone(good)
	noActive[4] = 9
	twice := append(bytes.Clone(good), good[5:]...)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, good[1:]...),
		"short entry":   good[:len(good)-1],
		"no active key": noActive,
		"term twice":    twice,
	} {
		if _, err := parseKeyring(b); err == nil {
			t.Errorf("%s: parseKeyring succeeded", name)
		}
	}
}
