package barrier

import (
	"bytes"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/storage/memory"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, keyLen) }

func TestKeyringIsImmutable(t *testing.T) {
	r1, err := (*keyring)(nil).addTerm(testKey(1), testInstall)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := r1.addTerm(testKey(2), testInstall)
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
	if _, err := r2.addTerm(make([]byte, 16), testInstall); err == nil {
		t.Fatal("addTerm accepted a 128-bit key")
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	r, _ := (*keyring)(nil).addTerm(testKey(1), testInstall)
	r, _ = r.addTerm(testKey(2), testInstall)
	r, _ = r.addTerm(testKey(3), testInstall)
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
	r, _ := (*keyring)(nil).addTerm(testKey(1), testInstall)
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

// testInstall is the install time the keyring tests give their terms.
var testInstall = time.Date(2026, 12, 7, 3, 4, 5, 6, time.UTC)

func TestKeyringKeepsInstallTimes(t *testing.T) {
	r, _ := (*keyring)(nil).addTerm(testKey(1), testInstall)
	later := testInstall.Add(90 * 24 * time.Hour)
	r, _ = r.addTerm(testKey(2), later)
	got, err := parseKeyring(r.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !got.terms[1].installed.Equal(testInstall) || !got.installed().Equal(later) {
		t.Fatalf("install times after a round trip: %v, %v; want %v, %v", got.terms[1].installed, got.installed(), testInstall, later)
	}
}

// A keyring of format 1 (written before ward recorded install times) is
// still read, its terms' install times unknown; written again, it is
// format 2 and keeps its keys.
func TestKeyringFormat1IsRead(t *testing.T) {
	v1 := []byte{1, 0, 0, 0, 2}
	for term, b := range map[byte]byte{1: 0xa1, 2: 0xa2} {
		v1 = append(v1, 0, 0, 0, term)
		v1 = append(v1, testKey(b)...)
	}
	r, err := parseKeyring(v1)
	if err != nil {
		t.Fatal(err)
	}
	if r.active != 2 || !r.installed().IsZero() || !r.terms[1].installed.IsZero() || r.terms[2].key[0] != 0xa2 {
		t.Fatalf("format 1 keyring: active %d, installed %v", r.active, r.installed())
	}
	again, err := parseKeyring(r.marshal())
	if err != nil || again.marshal()[0] != ringVersion || again.terms[1].key[0] != 0xa1 || !again.installed().IsZero() {
		t.Fatalf("format 1 keyring written again: %v", err)
	}
	if _, err := parseKeyring(v1[:len(v1)-8]); err == nil {
		t.Fatal("a format 1 keyring cut short was read")
	}
}

// Status reports when the active term was installed: by Init, then by each
// rotation, on the barrier's clock, and still after a restart.
func TestStatusInstallTime(t *testing.T) {
	now := testInstall
	mem := memory.New()
	b := New(Config{Storage: mem, Now: func() time.Time { return now }})
	shares, err := b.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	unseal(t, b, shares[0])
	if st, _ := b.Status(ctx); st.Term != 1 || !st.InstallTime.Equal(testInstall) {
		t.Fatalf("after Init: term %d installed %v; want 1 at %v", st.Term, st.InstallTime, testInstall)
	}
	now = testInstall.Add(time.Hour)
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.Status(ctx); st.Term != 2 || !st.InstallTime.Equal(now) {
		t.Fatalf("after Rotate: term %d installed %v; want 2 at %v", st.Term, st.InstallTime, now)
	}
	restarted := New(Config{Storage: mem})
	unseal(t, restarted, shares[0])
	if st, _ := restarted.Status(ctx); !st.InstallTime.Equal(testInstall.Add(time.Hour)) {
		t.Fatalf("after a restart: installed %v", st.InstallTime)
	}
	if st, _ := New(Config{Storage: mem}).Status(ctx); !st.InstallTime.IsZero() {
		t.Fatalf("sealed: installed %v, want zero", st.InstallTime)
	}
}
