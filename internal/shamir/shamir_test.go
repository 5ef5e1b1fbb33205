package shamir

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

type vector struct {
	Secret    string   `json:"secret"`
	Parts     int      `json:"parts"`
	Threshold int      `json:"threshold"`
	Random    string   `json:"random"`
	Shares    []string `json:"shares"`
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVectors checks Split and Combine against shares computed by an
// independent implementation (testdata/gen_vectors.py).
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for i, v := range vs {
		secret := unhex(t, v.Secret)
		shares, err := split(bytes.NewReader(unhex(t, v.Random)), secret, v.Parts, v.Threshold)
		if err != nil {
			t.Fatalf("vector %d: Split: %v", i, err)
		}
		if len(shares) != len(v.Shares) {
			t.Fatalf("vector %d: %d shares, want %d", i, len(shares), len(v.Shares))
		}
		for j, s := range shares {
			if got := hex.EncodeToString(s); got != v.Shares[j] {
				t.Errorf("vector %d share %d = %s, want %s", i, j, got, v.Shares[j])
			}
		}
		want := make([][]byte, v.Threshold)
		for j := range want {
			want[j] = unhex(t, v.Shares[len(v.Shares)-1-j])
		}
		got, err := Combine(want)
		if err != nil || !bytes.Equal(got, secret) {
			t.Errorf("vector %d: Combine of the last %d shares = %x, %v; want the secret", i, v.Threshold, got, err)
		}
	}
}

// subsets calls f with every k-subset of 0..n-1.
func subsets(n, k int, f func([]int)) {
	idx := make([]int, k)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == k {
			f(idx)
			return
		}
		for i := start; i < n; i++ {
			idx[depth] = i
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
}

func pick(shares [][]byte, idx []int) [][]byte {
	out := make([][]byte, len(idx))
	for i, j := range idx {
		out[i] = shares[j]
	}
	return out
}

func TestEverySubset(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, c := range []struct{ n, k int }{{1, 1}, {3, 1}, {3, 2}, {3, 3}, {5, 3}, {6, 4}, {7, 7}} {
		shares, err := Split(secret, c.n, c.k)
		if err != nil {
			t.Fatal(err)
		}
		for k := c.k; k <= c.n; k++ {
			subsets(c.n, k, func(idx []int) {
				got, err := Combine(pick(shares, idx))
				if err != nil || !bytes.Equal(got, secret) {
					t.Errorf("n=%d k=%d: shares %v do not rebuild the secret (err %v)", c.n, c.k, idx, err)
				}
			})
		}
		if c.k == 1 {
			continue
		}
		subsets(c.n, c.k-1, func(idx []int) {
			got, err := Combine(pick(shares, idx))
			if err != nil {
				t.Fatalf("Combine: %v", err)
			}
			if bytes.Equal(got, secret) {
				t.Errorf("n=%d k=%d: %d shares %v rebuilt the secret", c.n, c.k, c.k-1, idx)
			}
		})
	}
}

func TestThresholdOneSharesHoldTheSecret(t *testing.T) {
	secret := []byte{1, 2, 3}
	shares, err := Split(secret, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range shares {
		if !bytes.Equal(s[:len(secret)], secret) || s[len(secret)] != byte(i+1) {
			t.Errorf("share %d = %x", i, s)
		}
	}
}

func TestSplitRefuses(t *testing.T) {
	for _, c := range []struct {
		name             string
		secret           []byte
		parts, threshold int
	}{
		{"empty secret", nil, 3, 2},
		{"zero parts", []byte{1}, 0, 1},
		{"256 parts", []byte{1}, 256, 2},
		{"zero threshold", []byte{1}, 3, 0},
		{"threshold above parts", []byte{1}, 3, 4},
	} {
		if _, err := Split(c.secret, c.parts, c.threshold); err == nil {
			t.Errorf("%s: Split succeeded", c.name)
		}
	}
}

func TestCombineRefuses(t *testing.T) {
	for _, c := range []struct {
		name   string
		shares [][]byte
	}{
		{"none", nil},
		{"too short", [][]byte{{1}}},
		{"lengths differ", [][]byte{{1, 2, 1}, {1, 2}}},
		{"x zero", [][]byte{{1, 2, 0}}},
		{"duplicate x", [][]byte{{1, 2, 3}, {4, 5, 3}}},
		{"same share twice", [][]byte{{1, 2, 3}, {1, 2, 3}}},
	} {
		if _, err := Combine(c.shares); !errors.Is(err, ErrInvalidShare) {
			t.Errorf("%s: Combine error %v, want ErrInvalidShare", c.name, err)
		}
	}
}

func TestFieldArithmetic(t *testing.T) {
	for a := 1; a < 256; a++ {
		if got := mul(byte(a), inv(byte(a))); got != 1 {
			t.Fatalf("%d * inv(%d) = %d", a, a, got)
		}
	}
	// 0x53 * 0xca = 1 in the AES field (FIPS-197, section 4.2).
	if mul(0x53, 0xca) != 1 || mul(0x57, 0x83) != 0xc1 {
		t.Error("mul disagrees with FIPS-197")
	}
}

// FuzzCombine feeds Combine arbitrary shares: it must never panic, and when
// it accepts them their x coordinates are distinct and non-zero.
func FuzzCombine(f *testing.F) {
	f.Add([]byte{1, 2, 1, 3, 4, 2}, 3)
	f.Add([]byte{0, 0, 0}, 1)
	f.Add([]byte{}, 1)
	f.Fuzz(func(t *testing.T, raw []byte, n int) {
		if n <= 0 || n > 64 {
			return
		}
		var shares [][]byte
		for len(raw) >= n {
			shares = append(shares, raw[:n])
			raw = raw[n:]
		}
		secret, err := Combine(shares)
		if err != nil {
			return
		}
		if len(secret) != n-1 {
			t.Fatalf("secret of %d bytes from shares of %d", len(secret), n)
		}
	})
}
