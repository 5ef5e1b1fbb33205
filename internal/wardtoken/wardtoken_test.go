package wardtoken

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/crc32"
	"math/big"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.txt")

// vectorInputs are the random bytes behind testdata/vectors.txt.
var vectorInputs = []string{
	strings.Repeat("00", 32),
	strings.Repeat("ff", 32),
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	"8000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000001",
	"deadbeefcafebabe0123456789abcdeffedcba9876543210a5a5a5a55a5a5a5a",
}

// reference builds a token the slow, obvious way, with math/big, to check
// the fast encoder against.
func reference(prefix string, raw []byte) string {
	n := new(big.Int).SetBytes(raw)
	body := make([]byte, bodyLen)
	b62 := big.NewInt(62)
	m := new(big.Int)
	for i := bodyLen - 1; i >= 0; i-- {
		n.DivMod(n, b62, m)
		body[i] = alphabet[m.Int64()]
	}
	head := prefix + string(body)
	sum := crc32.ChecksumIEEE([]byte(head))
	tail := make([]byte, sumLen)
	for i := sumLen - 1; i >= 0; i-- {
		tail[i] = alphabet[sum%62]
		sum /= 62
	}
	return head + string(tail)
}

func TestVectors(t *testing.T) {
	var got bytes.Buffer
	for _, in := range vectorInputs {
		raw, err := hex.DecodeString(in)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := New(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		acc, err := NewAccessor(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(Prefix, raw); tok != want {
			t.Errorf("New(%s) differs from the math/big reference", in)
		}
		if want := reference(AccessorPrefix, raw); acc != want {
			t.Errorf("NewAccessor(%s) differs from the math/big reference", in)
		}
		fmt.Fprintf(&got, "%s %s %s %s\n", in, tok, acc, Hash(tok))
	}
	const file = "testdata/vectors.txt"
	if *update {
		if err := os.WriteFile(file, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("vectors differ from %s:\n%s", file, got.Bytes())
	}
}

// TestVectorFileValid reads the vector file independently of the encoder:
// every token and accessor in it must be valid, of the right shape, and
// hash to the recorded value.
func TestVectorFileValid(t *testing.T) {
	f, err := os.Open("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 {
			t.Fatalf("line %d: want 4 fields", n+1)
		}
		tok, acc, h := fields[1], fields[2], fields[3]
		if !Valid(tok) || ValidAccessor(tok) {
			t.Errorf("line %d: token not recognised as a token only", n+1)
		}
		if !ValidAccessor(acc) || Valid(acc) {
			t.Errorf("line %d: accessor not recognised as an accessor only", n+1)
		}
		if len(tok) != 54 || len(acc) != 54 {
			t.Errorf("line %d: length is not 54", n+1)
		}
		if Hash(tok) != h {
			t.Errorf("line %d: hash differs", n+1)
		}
		n++
	}
	if n != len(vectorInputs) {
		t.Errorf("%d vectors in file, want %d", n, len(vectorInputs))
	}
}

func TestEveryOneCharacterChangeIsRefused(t *testing.T) {
	toks := []string{reference(Prefix, make([]byte, 32)), reference(AccessorPrefix, bytes.Repeat([]byte{0x5a}, 32))}
	for i := range 8 {
		tok, err := New(nil)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			tok, _ = NewAccessor(nil)
		}
		toks = append(toks, tok)
	}
	for _, tok := range toks {
		check := Valid
		if strings.HasPrefix(tok, AccessorPrefix) {
			check = ValidAccessor
		}
		if !check(tok) {
			t.Fatal("a freshly made token is not valid")
		}
		for pos := range len(tok) {
			for c := range 256 {
				if byte(c) == tok[pos] {
					continue
				}
				mut := tok[:pos] + string([]byte{byte(c)}) + tok[pos+1:]
				if check(mut) {
					t.Fatalf("changing position %d to byte %#x still passes", pos, c)
				}
			}
		}
	}
}

func TestValidRefuses(t *testing.T) {
	good := reference(Prefix, bytes.Repeat([]byte{7}, 32))
	over := strings.Repeat("z", bodyLen) // above 2^256-1
	for name, s := range map[string]string{
		"empty":            "",
		"prefix only":      Prefix,
		"short":            good[:Len-1],
		"long":             good + "0",
		"accessor prefix":  AccessorPrefix + good[len(Prefix):],
		"upper prefix":     "WARD_" + good[len(Prefix):],
		"body over 2^256":  withSum(Prefix + over),
		"non-base62 body":  withSum(Prefix + strings.Repeat("-", bodyLen)),
		"swapped adjacent": good[:10] + good[11:12] + good[10:11] + good[12:],
	} {
		if name == "swapped adjacent" && good[10] == good[11] {
			continue
		}
		if Valid(s) {
			t.Errorf("%s: Valid is true", name)
		}
	}
	if !Valid(withSum(Prefix + maxBody)) {
		t.Error("the largest body, 2^256-1, is refused")
	}
}

// withSum appends a correct checksum to a 48-byte head.
func withSum(head string) string {
	b := make([]byte, Len)
	copy(b, head)
	putChecksum(b)
	return string(b)
}

func TestRegexp(t *testing.T) {
	re := regexp.MustCompile(Regexp)
	are := regexp.MustCompile(AccessorRegexp)
	tok, _ := New(nil)
	acc, _ := NewAccessor(nil)
	for _, c := range []struct {
		text string
		want string
		re   *regexp.Regexp
	}{
		{"WARD_TOKEN=" + tok + "\n", tok, re},
		{`{"client_token":"` + tok + `"}`, tok, re},
		{"Authorization: Bearer " + tok, tok, re},
		{tok + "x", "", re},
		{"x" + tok, "", re},
		{"accessor " + acc + ".", acc, are},
		{"accessor " + acc, "", re},
	} {
		if got := c.re.FindString(c.text); got != c.want {
			t.Errorf("in %q: found %q, want %q", c.text, got, c.want)
		}
	}
}

func TestHash(t *testing.T) {
	// SHA-256 of "abc", FIPS 180-2.
	if got := Hash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s", got)
	}
}

func TestNewShortRandomness(t *testing.T) {
	if _, err := New(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("New accepted 31 bytes of randomness")
	}
}

func TestNewIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, err := New(nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok] {
			t.Fatal("a token repeated")
		}
		seen[tok] = true
	}
}
