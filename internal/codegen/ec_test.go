package codegen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/types"
)

// The EC keys of the tests: SEC 1 and PKCS#8 written field by field, so a
// test can drop or swap the public key a key carries.

type sec1Key struct {
	Version    int
	PrivateKey []byte
	Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

type pkcs8Key struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

var (
	oidECKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	curveOIDs = map[elliptic.Curve]asn1.ObjectIdentifier{
		elliptic.P224(): {1, 3, 132, 0, 33},
		elliptic.P256(): {1, 2, 840, 10045, 3, 1, 7},
		elliptic.P384(): {1, 3, 132, 0, 34},
		elliptic.P521(): {1, 3, 132, 0, 35},
	}
)

// sec1PEM writes d's SEC 1 key carrying point (none when nil), as an "EC
// PRIVATE KEY" block, or wrapped in PKCS#8 (the curve named outside).
func sec1PEM(t testing.TB, c elliptic.Curve, d []byte, point []byte, wrap bool) string {
	t.Helper()
	k := sec1Key{Version: 1, PrivateKey: d}
	if point != nil {
		k.PublicKey = asn1.BitString{Bytes: point, BitLength: 8 * len(point)}
	}
	if !wrap {
		k.Curve = curveOIDs[c]
	}
	der, err := asn1.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if !wrap {
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	}
	params, err := asn1.Marshal(curveOIDs[c])
	if err != nil {
		t.Fatal(err)
	}
	der, err = asn1.Marshal(pkcs8Key{Algo: pkix.AlgorithmIdentifier{Algorithm: oidECKey, Parameters: asn1.RawValue{FullBytes: params}}, PrivateKey: der})
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// certFor returns a certificate of pub, signed by signer.
func certFor(t testing.TB, pub any, signer *ecdsa.PrivateKey, tmpl *x509.Certificate) string {
	t.Helper()
	if tmpl == nil {
		tmpl = &x509.Certificate{}
	}
	tmpl.SerialNumber = big.NewInt(1)
	tmpl.Subject = pkix.Name{CommonName: "conformance.example"}
	tmpl.NotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl.NotAfter = time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestRustECKeyMatchesGo holds the Rust loader's d·G to Go's: for random
// scalars on every curve Go's x509 accepts, and for 1, 2 and n-1, a tls
// secret pairs a certificate with a key whose embedded public key is its
// own, absent, another key's, or the certificate's while the scalar is
// another's. Go derives the public key from the scalar, so the pair
// matches exactly when the scalar is the certificate's; the server and the
// Rust loader must both say so.
func TestRustECKeyMatchesGo(t *testing.T) {
	ca, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	type pairCase struct {
		name  string
		raw   string
		match bool
	}
	var cases []pairCase
	for _, c := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		size := (c.Params().N.BitLen() + 7) / 8
		scalar := func(v *big.Int) []byte { return v.FillBytes(make([]byte, size)) }
		var keys []*ecdsa.PrivateKey
		for _, d := range []*big.Int{big.NewInt(1), big.NewInt(2), new(big.Int).Sub(c.Params().N, big.NewInt(1))} {
			k, err := ecdsa.ParseRawPrivateKey(c, scalar(d))
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		for range 5 {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		for i, k := range keys {
			other := keys[(i+1)%len(keys)]
			d, err := k.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			od, _ := other.Bytes()
			point, _ := k.PublicKey.Bytes()
			otherPoint, _ := other.PublicKey.Bytes()
			cert := certFor(t, &k.PublicKey, ca, nil)
			add := func(what, key string, match bool) {
				raw, _ := json.Marshal(map[string]string{"certificate": cert, "private_key": key})
				cases = append(cases, pairCase{fmt.Sprintf("%s key %d: %s", c.Params().Name, i, what), string(raw), match})
			}
			add("its own point", sec1PEM(t, c, d, point, false), true)
			add("no point", sec1PEM(t, c, d, nil, false), true)
			add("PKCS#8, no point", sec1PEM(t, c, d, nil, true), true)
			add("another key's point", sec1PEM(t, c, d, otherPoint, false), true)
			add("another key's scalar with this point", sec1PEM(t, c, od, point, false), false)
			add("PKCS#8, another key's scalar with this point", sec1PEM(t, c, od, point, true), false)
			// The scalar with leading zeros dropped, as old OpenSSL wrote it.
			add("short scalar", sec1PEM(t, c, new(big.Int).SetBytes(d).Bytes(), nil, false), true)
		}
	}

	tls := types.Builtin("tls")
	judged := make([]judgeCase, len(cases))
	for i, pc := range cases {
		judged[i] = judgeCase{"tls", pc.raw}
		err := tls.ValidateJSON("ec", "tls", []byte(pc.raw))
		var ve *types.ValidationError
		switch {
		case pc.match && err != nil:
			t.Errorf("%s: the server refuses a matching pair: %v", pc.name, err)
		case !pc.match && !(errors.As(err, &ve) && slices.ContainsFunc(ve.Problems, func(p types.Problem) bool { return p.Rule == "x-ward-tls-pair" })):
			t.Errorf("%s: the server does not refuse a mismatched pair as x-ward-tls-pair: %v", pc.name, err)
		}
	}

	h := rustHarnessOfAll(t, typeSchemas(t))
	for i, v := range h.judge(t, judged) {
		pc := cases[i]
		switch {
		case pc.match && !v.ok:
			t.Errorf("%s: the Rust loader refuses a matching pair (field %q rule %q)", pc.name, v.field, v.rule)
		case !pc.match && (v.ok || v.rule != "x-ward-tls-pair"):
			t.Errorf("%s: the Rust loader says valid=%v field %q rule %q, want x-ward-tls-pair", pc.name, v.ok, v.field, v.rule)
		}
	}
	t.Logf("%d pairs over P-224, P-256, P-384 and P-521", len(cases))
}
