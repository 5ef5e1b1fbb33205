package barrier

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

var update = flag.Bool("update", false, "rewrite testdata/format-v1.json from the current code")

// formatVector freezes the barrier's on-disk format: a whole store written
// by ward (seal config, wrapped keyrings, counters, a system value and an
// environment's value) with the shares that open it and what it holds,
// and one ciphertext made from a known key and nonce. A change of format
// must be a deliberate act: it fails these tests until the vector is
// rewritten with -update and the old format is still read.
type formatVector struct {
	Shares     []string          `json:"shares"`     // hex; threshold 2
	Store      map[string]string `json:"store"`      // key → base64 of the stored bytes
	Plaintexts map[string]string `json:"plaintexts"` // what Get answers
	Ciphertext cipherVector      `json:"ciphertext"` // seal with a known key
}

type cipherVector struct {
	Key        string `json:"aes_key"` // hex, 32 bytes
	Term       uint32 `json:"term"`
	Path       string `json:"path"`
	Nonce      string `json:"nonce"` // hex, 12 bytes
	Plaintext  string `json:"plaintext"`
	Ciphertext string `json:"ciphertext"` // hex
}

const vectorPath = "testdata/format-v1.json"

func TestFormatVector(t *testing.T) {
	if *update {
		writeVector(t)
	}
	raw, err := os.ReadFile(vectorPath)
	if err != nil {
		t.Fatal(err)
	}
	var vec formatVector
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mem := memory.New()
	for k, v := range vec.Store {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := mem.Put(ctx, &storage.Entry{Key: k, Value: b}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k, "core/") || strings.HasPrefix(k, "core/env/") || k == "core/keyring" {
			if b[0] != formatVersion {
				t.Errorf("%s: format byte %d", k, b[0])
			}
		}
	}
	b := New(Config{Storage: mem, KeyringOf: envLayout})
	var shares [][]byte
	for _, s := range vec.Shares {
		sh, _ := hex.DecodeString(s)
		shares = append(shares, sh)
	}
	unseal(t, b, shares...)
	for k, want := range vec.Plaintexts {
		if got := get(t, b, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	cv := vec.Ciphertext
	key, _ := hex.DecodeString(cv.Key)
	nonce, _ := hex.DecodeString(cv.Nonce)
	tk, err := newTermKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := seal(bytes.NewReader(nonce), tk.aead, cv.Term, cv.Path, []byte(cv.Plaintext))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(ct) != cv.Ciphertext {
		t.Errorf("seal wrote\n %x\nthe vector says\n %s", ct, cv.Ciphertext)
	}
}

// writeVector makes a new store with the current code and writes it with
// what it holds.
func writeVector(t *testing.T) {
	f := newFixture(t, 0)
	b := f.open(t)
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	plain := map[string]string{"sys/config": "a system value", "env/prod/kv/payments/db": `{"password":"vector"}`}
	for k, v := range plain {
		put(t, b, k, v)
	}
	store := map[string]string{}
	for k, v := range f.dumpByKey(t) {
		store[k] = base64.StdEncoding.EncodeToString(v)
	}
	key := make([]byte, keyLen)
	for i := range key {
		key[i] = byte(i)
	}
	nonce := []byte("ward-vector!")
	cv := cipherVector{Key: hex.EncodeToString(key), Term: 7, Path: "env/prod/kv/x", Nonce: hex.EncodeToString(nonce), Plaintext: "known answer"}
	tk, _ := newTermKey(slices.Clone(key))
	ct, err := seal(bytes.NewReader(nonce), tk.aead, cv.Term, cv.Path, []byte(cv.Plaintext))
	if err != nil {
		t.Fatal(err)
	}
	cv.Ciphertext = hex.EncodeToString(ct)
	vec := formatVector{Shares: []string{hex.EncodeToString(f.shares[0]), hex.EncodeToString(f.shares[2])}, Store: store, Plaintexts: plain, Ciphertext: cv}
	out, _ := json.MarshalIndent(vec, "", "  ")
	if err := os.MkdirAll(filepath.Dir(vectorPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorPath, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
