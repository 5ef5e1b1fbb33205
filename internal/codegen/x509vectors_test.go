package codegen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"flag"
	"net"
	"net/url"
	"os"
	"testing"
)

var x509Vectors = flag.Bool("x509vectors", false, "rewrite testdata/vectors/tls-x509.json (certificate extensions and EC keys)")

const x509VectorsFile = "testdata/vectors/tls-x509.json"

// tlv is one DER element: tag, minimal length, content.
func tlv(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	out := []byte{tag}
	switch n := len(c); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, c...)
}

func seq(c ...[]byte) []byte { return tlv(0x30, c...) }

// ext is a certificate extension 2.5.29.n (or any OID) with a raw value.
func ext(oid asn1.ObjectIdentifier, critical bool, value []byte) pkix.Extension {
	return pkix.Extension{Id: oid, Critical: critical, Value: value}
}

func ce(n int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 29, n} }

var oidAIA = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}

// x509Case is one vector: a certificate built from tmpl (its extensions
// raw where ExtraExtensions says), and the verdict crypto/x509's parser
// gives, read from its source (parser.go's processExtensions).
type x509Case struct {
	name  string
	tmpl  x509.Certificate
	valid bool
}

func x509Cases() []x509Case {
	uri, _ := url.Parse("https://ca.example/path")
	_, ipnet, _ := net.ParseCIDR("10.0.0.0/8")
	policy, _ := x509.OIDFromInts([]uint64{2, 23, 140, 1, 2, 1})
	oidOK := []byte{0x2a, 0x03}                           // 1.2.3
	oidHuge := []byte{0x2a, 0x88, 0x80, 0x80, 0x80, 0x01} // a component of 2^31 + 1
	bad := func(name string, e pkix.Extension) x509Case {
		return x509Case{name: name, tmpl: x509.Certificate{ExtraExtensions: []pkix.Extension{e}}}
	}
	good := func(name string, e pkix.Extension) x509Case {
		return x509Case{name: name, tmpl: x509.Certificate{ExtraExtensions: []pkix.Extension{e}}, valid: true}
	}
	return []x509Case{
		{name: "every extension Go writes, well formed", valid: true, tmpl: x509.Certificate{
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true, MaxPathLen: 3,
			DNSNames: []string{"a.example"}, EmailAddresses: []string{"ops@example.com"}, IPAddresses: []net.IP{net.ParseIP("2001:db8::1")}, URIs: []*url.URL{uri},
			PermittedDNSDomains: []string{".example"}, ExcludedIPRanges: []*net.IPNet{ipnet}, PermittedEmailAddresses: []string{"ops@example.com"}, ExcludedURIDomains: []string{"bad.example"},
			CRLDistributionPoints: []string{"http://crl.example/ca.crl"}, SubjectKeyId: []byte{1, 2, 3}, AuthorityKeyId: []byte{4, 5, 6},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 2, 3, 4}},
			Policies: []x509.OID{policy}, OCSPServer: []string{"http://ocsp.example"}, IssuingCertificateURL: []string{"http://ca.example/ca.crt"},
		}},
		good("a critical unknown extension", ext(asn1.ObjectIdentifier{1, 2, 3, 4, 5}, true, []byte("anything"))),
		good("a critical unknown 2.5.29 extension", ext(ce(99), true, []byte{0xff})),
		good("a critical SAN of a directory name only", ext(ce(17), true, seq(tlv(0xa4, seq())))),
		good("basic constraints with an explicit false", ext(ce(19), false, seq(tlv(0x01, []byte{0})))),
		good("name constraints of a directory name only", ext(ce(30), true, seq(tlv(0xa0, seq(tlv(0xa4, seq())))))),
		good("a CRL distribution point without a name", ext(ce(31), false, seq(seq(tlv(0x81, []byte{0x07, 0x80}))))),
		good("an AIA entry that is not a URI", ext(oidAIA, false, seq(seq(tlv(0x06, oidOK), tlv(0xa4, seq()))))),
		good("a policy OID of a component over 2^31", ext(ce(32), false, seq(seq(tlv(0x06, oidHuge))))),
		bad("key usage not a BIT STRING", ext(ce(15), false, tlv(0x04, []byte{0x80}))),
		bad("key usage with padding bits set", ext(ce(15), false, tlv(0x03, []byte{0x07, 0x81}))),
		bad("basic constraints not a SEQUENCE", ext(ce(19), false, tlv(0x31))),
		bad("basic constraints with a BOOLEAN of 1", ext(ce(19), false, seq(tlv(0x01, []byte{1})))),
		bad("basic constraints with a negative path length", ext(ce(19), false, seq(tlv(0x01, []byte{0xff}), tlv(0x02, []byte{0xff})))),
		bad("basic constraints with a path length of 2^63", ext(ce(19), false, seq(tlv(0x02, []byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0})))),
		bad("a SAN DNS name with a non-ASCII byte", ext(ce(17), false, seq(tlv(0x82, []byte("caf\xc3\xa9.example"))))),
		bad("a SAN email with a non-ASCII byte", ext(ce(17), false, seq(tlv(0x81, []byte("\xe9@example.com"))))),
		bad("a SAN IP address of 5 bytes", ext(ce(17), false, seq(tlv(0x87, []byte{10, 0, 0, 1, 0})))),
		bad("a SAN URI that does not parse", ext(ce(17), false, seq(tlv(0x86, []byte("https://ca.example/%zz"))))),
		bad("a SAN URI whose host ends in a dot", ext(ce(17), false, seq(tlv(0x86, []byte("https://ca.example./"))))),
		bad("a SAN URI whose host has an empty label", ext(ce(17), false, seq(tlv(0x86, []byte("https://ca..example/"))))),
		bad("SANs not a SEQUENCE", ext(ce(17), false, tlv(0x04))),
		bad("name constraints empty", ext(ce(30), false, seq())),
		bad("name constraints with data after them", ext(ce(30), false, append(seq(tlv(0xa0, seq(tlv(0x82, []byte("example.com"))))), 0x05, 0x00))),
		bad("a DNS name constraint with an empty label", ext(ce(30), false, seq(tlv(0xa0, seq(tlv(0x82, []byte("a..example"))))))),
		bad("a DNS name constraint ending in a dot", ext(ce(30), false, seq(tlv(0xa1, seq(tlv(0x82, []byte("example."))))))),
		bad("an IP name constraint of 5 bytes", ext(ce(30), false, seq(tlv(0xa0, seq(tlv(0x87, []byte{10, 0, 0, 0, 255})))))),
		bad("an IP name constraint with a mask of holes", ext(ce(30), false, seq(tlv(0xa0, seq(tlv(0x87, []byte{10, 0, 0, 0, 255, 0, 255, 0})))))),
		bad("an email name constraint with two dots in a row", ext(ce(30), false, seq(tlv(0xa0, seq(tlv(0x81, []byte("a..b@example.com"))))))),
		bad("a URI name constraint that is an IP address", ext(ce(30), false, seq(tlv(0xa0, seq(tlv(0x86, []byte("10.0.0.1"))))))),
		bad("a CRL distribution point named relative to its issuer", ext(ce(31), false, seq(seq(tlv(0xa0, tlv(0xa1, tlv(0x31))))))),
		bad("CRL distribution points not a SEQUENCE", ext(ce(31), false, tlv(0x04))),
		bad("an authority key id marked critical", ext(ce(35), true, seq(tlv(0x80, []byte{1})))),
		bad("an authority key id not a SEQUENCE", ext(ce(35), false, tlv(0x04, []byte{1}))),
		bad("a subject key id marked critical", ext(ce(14), true, tlv(0x04, []byte{1}))),
		bad("a subject key id not an OCTET STRING", ext(ce(14), false, tlv(0x03, []byte{0, 1}))),
		bad("an extended key usage with a non-minimal OID", ext(ce(37), false, seq(tlv(0x06, []byte{0x2a, 0x80, 0x01})))),
		good("an extended key usage with a component of 2^31 - 1", ext(ce(37), false, seq(tlv(0x06, []byte{0x2a, 0x87, 0xff, 0xff, 0xff, 0x7f})))),
		bad("an extended key usage with a component over 2^31", ext(ce(37), false, seq(tlv(0x06, oidHuge)))),
		bad("a policy twice", ext(ce(32), false, seq(seq(tlv(0x06, oidOK)), seq(tlv(0x06, oidOK))))),
		bad("a policy OID cut short", ext(ce(32), false, seq(seq(tlv(0x06, []byte{0x2a, 0x83}))))),
		bad("a policy mapping without its subject policy", ext(ce(33), false, seq(seq(tlv(0x06, oidOK))))),
		bad("a policy constraint of 9 bytes", ext(ce(36), false, seq(tlv(0x80, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0})))),
		bad("inhibit any policy as a non-minimal INTEGER", ext(ce(54), false, tlv(0x02, []byte{0, 1}))),
		bad("an AIA marked critical", ext(oidAIA, true, seq(seq(tlv(0x06, oidOK), tlv(0x86, []byte("http://a.example")))))),
		bad("an AIA method that is no OID", ext(oidAIA, false, seq(seq(tlv(0x04, oidOK))))),
	}
}

// TestX509Vectors keeps testdata/vectors/tls-x509.json: certificates with
// each extension crypto/x509 reads well formed and malformed, and EC keys
// whose embedded public point is missing or swapped. The verdicts are the
// ones the cases state (from Go's parser source); TestConformance holds
// the server and both loaders to them. Rewrite with -x509vectors.
func TestX509Vectors(t *testing.T) {
	if !*x509Vectors {
		if _, err := os.Stat(x509VectorsFile); err != nil {
			t.Fatalf("%v: run go test -run TestX509Vectors -x509vectors", err)
		}
		t.Skip("the vectors are written with -x509vectors")
	}
	type vec struct {
		Name   string            `json:"name"`
		Valid  bool              `json:"valid"`
		Field  string            `json:"field,omitempty"`
		Rule   string            `json:"rule,omitempty"`
		Secret map[string]string `json:"secret"`
	}
	var out struct {
		Type    string `json:"type"`
		Vectors []vec  `json:"vectors"`
	}
	out.Type = "tls"
	add := func(name string, valid bool, field, rule, cert, key string) {
		out.Vectors = append(out.Vectors, vec{name, valid, field, rule, map[string]string{"certificate": cert, "private_key": key}})
	}
	newKey := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keyPEM := func(k *ecdsa.PrivateKey) string {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	}
	for _, c := range x509Cases() {
		k := newKey(elliptic.P256())
		tmpl := c.tmpl
		cert := certFor(t, &k.PublicKey, k, &tmpl)
		if c.valid {
			add("extensions: "+c.name, true, "", "", cert, keyPEM(k))
		} else {
			add("extensions: "+c.name, false, "certificate", "format", cert, keyPEM(k))
		}
	}
	for _, c := range []elliptic.Curve{elliptic.P224(), elliptic.P521()} {
		k := newKey(c)
		add(c.Params().Name+" certificate and its EC key", true, "", "", certFor(t, &k.PublicKey, k, nil), keyPEM(k))
	}
	k, other := newKey(elliptic.P256()), newKey(elliptic.P256())
	cert := certFor(t, &k.PublicKey, k, nil)
	d, _ := k.Bytes()
	od, _ := other.Bytes()
	point, _ := k.PublicKey.Bytes()
	otherPoint, _ := other.PublicKey.Bytes()
	add("EC key without its public point", true, "", "", cert, sec1PEM(t, elliptic.P256(), d, nil, false))
	add("PKCS#8 EC key without its public point", true, "", "", cert, sec1PEM(t, elliptic.P256(), d, nil, true))
	add("EC key carrying another key's point", true, "", "", cert, sec1PEM(t, elliptic.P256(), d, otherPoint, false))
	add("another key's scalar carrying the certificate's point", false, "private_key", "x-ward-tls-pair", cert, sec1PEM(t, elliptic.P256(), od, point, false))
	add("PKCS#8: another key's scalar carrying the certificate's point", false, "private_key", "x-ward-tls-pair", cert, sec1PEM(t, elliptic.P256(), od, point, true))
	src, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(x509VectorsFile, append(src, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
