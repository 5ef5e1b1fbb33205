package codegen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/types"
)

var (
	x509GenSeed = flag.Uint64("x509seed", 1, "seed of TestRustX509Generated's certificates and keys")
	x509GenN    = flag.Int("x509n", 1500, "how many certificates TestRustX509Generated makes")
)

// derGen writes DER near the grammar of each extension crypto/x509 reads:
// mostly well formed, with a retagged, truncated or trailing element, a
// non-minimal or oversized integer, a bad OID or a non-ASCII name now and
// then. Coverage-guided fuzzing sees Go's code, not the Rust port's, so
// this generator reaches the port's branches by construction.
type derGen struct{ r *mrand.Rand }

func (g derGen) maybe(p float64) bool { return g.r.Float64() < p }

func (g derGen) pick(options ...[]byte) []byte { return options[g.r.IntN(len(options))] }

func (g derGen) el(tag byte, content ...[]byte) []byte {
	if g.maybe(0.02) {
		tag = g.pick([]byte{0x30, 0x31, 0x04, 0x03, 0x02, 0x06, 0x80, 0xa0, 0x1f})[0]
	}
	b := tlv(tag, content...)
	switch {
	case g.maybe(0.015):
		b = b[:g.r.IntN(len(b))]
	case g.maybe(0.015):
		b = append(b, 0x05, 0x00)
	}
	return b
}

func (g derGen) opt(p float64, b func() []byte) []byte {
	if g.maybe(p) {
		return b()
	}
	return nil
}

func (g derGen) many(max int, b func() []byte) []byte {
	var out []byte
	for range g.r.IntN(max + 1) {
		out = append(out, b()...)
	}
	return out
}

func (g derGen) integer() []byte {
	return g.pick([]byte{0}, []byte{1}, []byte{0x7f}, []byte{0x80}, []byte{0, 0x80}, []byte{0, 1}, []byte{0xff, 0xff},
		[]byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}, nil)
}

func (g derGen) oid() []byte {
	return g.pick([]byte{0x2a, 0x03}, []byte{0x55, 0x1d, 0x0f}, []byte{0x2b, 6, 1, 5, 5, 7, 48, 1}, []byte{0x2a, 0x87, 0xff, 0xff, 0xff, 0x7f},
		[]byte{0x2a, 0x88, 0x80, 0x80, 0x80, 0x01}, []byte{0x2a, 0x80, 0x01}, []byte{0x2a, 0x83}, nil, []byte{0x80, 0x01}, []byte{0x81, 0x80, 0x80, 0x80, 0x80, 0x01})
}

func (g derGen) ia5() []byte {
	return []byte(g.pick([]byte("example.com"), []byte(".example.com"), []byte("a..b"), []byte("example."), nil, []byte("caf\xc3\xa9"),
		[]byte("ops@example.com"), []byte("a..b@x"), []byte(`"q\"t"@x`), []byte("a@"), []byte("a@b..c"), []byte("10.0.0.1"), []byte("::1"),
		[]byte("https://ca.example/"), []byte("https://ca.example./"), []byte("http://[::1]:80/"), []byte("https://ca.example/%zz"),
		[]byte("http://a b/"), []byte("mailto:x@y"), []byte("//host/"), []byte(`a\@b@c`), []byte(".a@b"), []byte("*.example"), []byte("http://%41.example/")))
}

func (g derGen) generalName() []byte {
	tag := g.pick([]byte{0x81}, []byte{0x82}, []byte{0x86}, []byte{0x87}, []byte{0xa4}, []byte{0xa0}, []byte{0x88}, []byte{0x83})[0]
	if tag == 0x87 {
		ip := g.pick([]byte{10, 0, 0, 1}, []byte{10, 0, 0, 1, 0}, []byte{10, 0, 0, 0, 255, 0, 0, 0}, []byte{10, 0, 0, 0, 255, 0, 255, 0},
			make([]byte, 16), append(make([]byte, 16), 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), append(make([]byte, 16), 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
		return g.el(tag, ip)
	}
	return g.el(tag, g.ia5())
}

func (g derGen) subtrees() []byte {
	return g.many(2, func() []byte {
		return g.el(0x30, g.generalName(), g.opt(0.2, func() []byte { return g.el(0x80, g.integer()) }))
	})
}

// value is a value for extension id.
func (g derGen) value(id asn1.ObjectIdentifier) []byte {
	if id.Equal(oidAIA) {
		return g.el(0x30, g.many(2, func() []byte {
			return g.el(0x30, g.el(0x06, g.oid()), g.opt(0.8, func() []byte { return g.el(g.pick([]byte{0x86}, []byte{0xa4})[0], g.ia5()) }))
		}))
	}
	if len(id) != 4 {
		return g.many(3, func() []byte { return []byte{byte(g.r.IntN(256))} })
	}
	switch id[3] {
	case 15:
		return g.el(0x03, g.pick([]byte{0x07, 0x80}, []byte{0x00}, []byte{0x01, 0x81}, []byte{0x05, 0xa0}, nil, []byte{0x08, 0x00}))
	case 19:
		return g.el(0x30, g.opt(0.5, func() []byte { return g.el(0x01, g.pick([]byte{0}, []byte{0xff}, []byte{1}, nil)) }),
			g.opt(0.5, func() []byte { return g.el(0x02, g.integer()) }))
	case 17:
		return g.el(0x30, g.many(3, g.generalName))
	case 30:
		return g.el(0x30, g.opt(0.7, func() []byte { return g.el(0xa0, g.subtrees()) }), g.opt(0.5, func() []byte { return g.el(0xa1, g.subtrees()) }))
	case 31:
		return g.el(0x30, g.many(2, func() []byte {
			return g.el(0x30, g.opt(0.8, func() []byte {
				return g.el(0xa0, g.el(g.pick([]byte{0xa0}, []byte{0xa1})[0], g.many(2, func() []byte { return g.el(g.pick([]byte{0x86}, []byte{0x82})[0], g.ia5()) })))
			}), g.opt(0.2, func() []byte { return g.el(0x81, []byte{0x07, 0x80}) }))
		}))
	case 35:
		return g.el(0x30, g.opt(0.7, func() []byte { return g.el(0x80, []byte{1, 2}) }), g.opt(0.2, func() []byte { return g.el(0xa1, g.generalName()) }))
	case 14:
		return g.el(0x04, []byte{1, 2, 3})
	case 37:
		return g.el(0x30, g.many(3, func() []byte { return g.el(0x06, g.oid()) }))
	case 32:
		return g.el(0x30, g.many(3, func() []byte { return g.el(0x30, g.el(0x06, g.oid()), g.opt(0.2, func() []byte { return g.el(0x30) })) }))
	case 33:
		return g.el(0x30, g.many(2, func() []byte {
			return g.el(0x30, g.el(0x06, g.oid()), g.opt(0.8, func() []byte { return g.el(0x06, g.oid()) }))
		}))
	case 36:
		return g.el(0x30, g.opt(0.6, func() []byte { return g.el(0x80, g.integer()) }), g.opt(0.6, func() []byte { return g.el(0x81, g.integer()) }))
	case 54:
		return g.el(0x02, g.integer())
	}
	return g.many(3, func() []byte { return []byte{byte(g.r.IntN(256))} })
}

// TestRustX509Generated holds the Rust loader to the server on generated
// certificates (one to three extensions each, near their grammar) and EC
// keys (the point present, absent, another key's or garbage; the scalar
// padded, cut, zero, n or n-1; another curve's OID), judged in one batch.
// Another seed: go test -run TestRustX509Generated -x509seed N.
func TestRustX509Generated(t *testing.T) {
	g := derGen{mrand.New(mrand.NewPCG(*x509GenSeed, 19))}
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := sec1PEM(t, elliptic.P256(), mustBytes(t, signer), nil, false)
	var ids []asn1.ObjectIdentifier
	for _, s := range derSlots {
		if s.Id != nil && !s.Critical {
			ids = append(ids, s.Id)
		}
	}
	var cases []judgeCase
	for range *x509GenN {
		var exts []pkix.Extension
		for _, i := range g.r.Perm(len(ids))[:1+g.r.IntN(3)] {
			exts = append(exts, pkix.Extension{Id: ids[i], Critical: g.maybe(0.3), Value: g.value(ids[i])})
		}
		cert := certFor(t, &signer.PublicKey, signer, &x509.Certificate{ExtraExtensions: exts})
		raw, _ := json.Marshal(map[string]string{"certificate": cert, "private_key": key})
		cases = append(cases, judgeCase{"tls", string(raw)})
	}
	curves := slices.Collect(maps.Keys(curveOIDs))
	slices.SortFunc(curves, func(a, b elliptic.Curve) int { return a.Params().BitSize - b.Params().BitSize })
	for range *x509GenN / 3 {
		c := curves[g.r.IntN(len(curves))]
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := ecdsa.GenerateKey(c, rand.Reader)
		d := mustBytes(t, k)
		n := c.Params().N
		d = g.pick(d, d, append([]byte{0}, d...), append([]byte{1}, d...), d[1:], make([]byte, len(d)),
			n.FillBytes(make([]byte, len(d))), new(big.Int).Sub(n, big.NewInt(1)).FillBytes(make([]byte, len(d))))
		point, _ := k.PublicKey.Bytes()
		otherPoint, _ := other.PublicKey.Bytes()
		point = g.pick(point, nil, otherPoint, point[:len(point)-1], []byte{4})
		kc := c
		if g.maybe(0.1) {
			kc = curves[g.r.IntN(len(curves))] // the scalar named as another curve's
		}
		var keyPEM string
		if kc == c {
			keyPEM = sec1PEM(t, c, d, point, g.maybe(0.3))
		} else {
			keyPEM = sec1PEM(t, kc, d, point, false)
		}
		cert := certFor(t, &k.PublicKey, signer, nil)
		raw, _ := json.Marshal(map[string]string{"certificate": cert, "private_key": keyPEM})
		cases = append(cases, judgeCase{"tls", string(raw)})
	}

	h := rustHarnessOfAll(t, typeSchemas(t))
	tls := types.Builtin("tls")
	valid := 0
	for i, v := range h.judge(t, cases) {
		err := tls.ValidateJSON("gen", "tls", []byte(cases[i].raw))
		var ve *types.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatal(err)
		}
		switch {
		case (err == nil) != v.ok:
			t.Errorf("generated case %d (seed %d): the server says valid=%v, the Rust loader valid=%v (field %q rule %q)\n%s", i, *x509GenSeed, err == nil, v.ok, v.field, v.rule, cases[i].raw)
		case err != nil && !slices.ContainsFunc(ve.Problems, func(p types.Problem) bool { return p.Field == v.field && p.Rule == v.rule }):
			t.Errorf("generated case %d (seed %d): the Rust loader says field %q rule %q; the server's problems are %v", i, *x509GenSeed, v.field, v.rule, ve.Problems)
		}
		if err == nil {
			valid++
		}
	}
	t.Logf("%d generated certificates and keys, %d valid, seed %d", len(cases), valid, *x509GenSeed)
}

func mustBytes(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	d, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
