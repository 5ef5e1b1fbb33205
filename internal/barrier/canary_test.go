package barrier

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/wardhq/ward/internal/shamir"
	"github.com/wardhq/ward/internal/storage"
)

func entry(key, value string) *storage.Entry {
	return &storage.Entry{Key: key, Value: []byte(value)}
}

// dump returns every stored value of the store, walking List.
func (f *fixture) dump(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, v := range f.dumpByKey(t) {
		out = append(out, v)
	}
	return out
}

// dumpByKey returns every stored value of the store by key, walking List.
func (f *fixture) dumpByKey(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var walk func(prefix string)
	walk = func(prefix string) {
		names, err := f.mem.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if n[len(n)-1] == '/' {
				walk(prefix + n)
				continue
			}
			out[prefix+n] = f.raw(t, prefix+n)
		}
	}
	walk("")
	return out
}

// encodings lists the forms a leaked secret could take in storage.
func encodings(secret []byte) map[string][]byte {
	return map[string][]byte{
		"plain":     secret,
		"base64":    []byte(base64.StdEncoding.EncodeToString(secret)),
		"base64url": []byte(base64.RawURLEncoding.EncodeToString(secret)),
		"hex":       []byte(hex.EncodeToString(secret)),
		"HEX":       bytes.ToUpper([]byte(hex.EncodeToString(secret))),
	}
}

// TestCanary writes a random marker every way the barrier allows, rotates,
// and checks that neither the marker nor any key appears in the store.
func TestCanary(t *testing.T) {
	f := newFixture(t, 4) // rotations happen along the way
	b := f.open(t)
	marker := make([]byte, 24)
	if _, err := rand.Read(marker); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"sys/a", "env/prod/a", "env/prod/v/payments/db/0000000001"} {
		put(t, b, key, string(marker))
	}
	err := b.Transaction(ctx, []storage.Op{
		{Kind: storage.OpPut, Key: "tx/a", Value: marker},
		{Kind: storage.OpPut, Key: "env/prod/tx", Value: marker},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, b, "env/prod/b", string(marker))

	secrets := map[string][]byte{"marker": marker}
	root, err := shamir.Combine(f.shares[:2])
	if err != nil {
		t.Fatal(err)
	}
	secrets["root key"] = root
	for name, s := range map[string]*scope{"system": b.open.system, "prod": envScopeOf(t, b.open, "prod")} {
		for term, tk := range s.ring.Load().terms {
			secrets[fmt.Sprintf("%s term %d", name, term)] = bytes.Clone(tk.key)
		}
	}
	if len(secrets) < 6 {
		t.Fatalf("only %d secrets to look for", len(secrets))
	}
	values := f.dump(t)
	if len(values) < 10 {
		t.Fatalf("only %d values in the store", len(values))
	}
	for name, s := range secrets {
		for enc, form := range encodings(s) {
			for _, v := range values {
				if bytes.Contains(v, form) {
					t.Fatalf("the %s appears in storage (%s)", name, enc)
				}
			}
		}
	}
}
