package codegen

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/types"
)

// formatFields are, per built-in type, the string field a format checks and
// a valid secret to put the fuzzed value in.
var formatFields = []struct {
	typ, field string
	base       map[string]any
}{
	{"url-with-credentials", "url", map[string]any{}},
	{"api-token", "endpoint", map[string]any{"token": "abcdefghijklmnop"}},
	{"ssh-private-key", "private_key", map[string]any{}},
	{"jwt-signing-key", "key", map[string]any{"algorithm": "ES256"}},
	{"tls", "certificate", nil}, // the private key of the first valid tls vector
	{"tls", "private_key", nil}, // the certificate of the first valid tls vector
}

// derSlots are the fuzz slots whose value is DER, not text: the value of
// one extension of a certificate otherwise well formed (each extension
// crypto/x509 reads, critical or not, and an unknown one), or a SEC 1 EC
// key paired with the certificate of the first valid tls vector.
var derSlots = func() []pkix.Extension {
	var out []pkix.Extension
	for _, id := range []asn1.ObjectIdentifier{ce(14), ce(15), ce(17), ce(19), ce(30), ce(31), ce(32), ce(33), ce(35), ce(36), ce(37), ce(54), oidAIA, {1, 2, 3, 4}} {
		out = append(out, pkix.Extension{Id: id}, pkix.Extension{Id: id, Critical: true})
	}
	return append(out, pkix.Extension{}) // no Id: value is an EC PRIVATE KEY's DER
}()

// FuzzRustFormats feeds a value to a format of a built-in type and holds
// the generated Rust loader to the server's verdict: the Rust ports of
// Go's PEM, DER, X.509, private-key and URL parsers must accept and refuse
// alike. Slots below len(formatFields) put the value in a field as text;
// the others are derSlots, built into a certificate or key. Seeds: every
// string of the conformance vectors, in every slot, each extension of
// x509Cases and the EC keys of the vectors.
//
//	go test -run '^$' -fuzz FuzzRustFormats ./internal/codegen
func FuzzRustFormats(f *testing.F) {
	schemas := typeSchemas(f)
	// The seeds: each slot's value in the vectors of its type (the
	// conformance test runs them all in one batch; a seed here is one
	// process each, so they stay few).
	var tlsBase map[string]any
	seen := map[string]bool{}
	for _, vf := range loadVectors(f, schemas) {
		for _, v := range vf.Vectors {
			var obj map[string]any
			if json.Unmarshal(v.Secret, &obj) != nil {
				continue
			}
			if vf.Type == "tls" && v.Valid && tlsBase == nil {
				tlsBase = obj
			}
			for i, ff := range formatFields {
				if s, ok := obj[ff.field].(string); ok && ff.typ == vf.Type && !seen[ff.typ+ff.field+fmt.Sprint(v.Valid)] {
					seen[ff.typ+ff.field+fmt.Sprint(v.Valid)] = true
					f.Add(uint8(i), s)
				}
			}
			if k, ok := obj["private_key"].(string); ok && vf.Type == "tls" && strings.Contains(v.Name, "point") {
				if b, _ := pem.Decode([]byte(k)); b != nil && b.Type == "EC PRIVATE KEY" {
					f.Add(uint8(len(formatFields)+len(derSlots)-1), string(b.Bytes))
				}
			}
		}
	}
	for _, c := range x509Cases() {
		for _, e := range c.tmpl.ExtraExtensions {
			for i, s := range derSlots {
				if s.Id.Equal(e.Id) && s.Critical == e.Critical {
					f.Add(uint8(len(formatFields)+i), string(e.Value))
				}
			}
		}
	}
	// The certificate of the DER slots: tlsBase's, with an extension added.
	blk, _ := pem.Decode([]byte(tlsBase["private_key"].(string)))
	signer, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		f.Fatalf("the first valid tls vector's key must be a SEC 1 EC key: %v", err)
	}
	h := rustHarnessOfAll(f, schemas)
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		slot := int(which) % (len(formatFields) + len(derSlots))
		typ, field := "tls", "private_key"
		obj := map[string]any{}
		if slot < len(formatFields) {
			ff := formatFields[slot]
			typ, field = ff.typ, ff.field
			base := ff.base
			if base == nil {
				base = tlsBase
			}
			maps.Copy(obj, base)
			obj[ff.field] = value
		} else if e := derSlots[slot-len(formatFields)]; e.Id == nil {
			maps.Copy(obj, tlsBase)
			obj["private_key"] = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte(value)}))
		} else {
			e.Value = []byte(value)
			maps.Copy(obj, tlsBase)
			field = "certificate"
			obj["certificate"] = certFor(t, &signer.PublicKey, signer, &x509.Certificate{ExtraExtensions: []pkix.Extension{e}})
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return
		}
		err = types.Builtin(typ).ValidateJSON("fuzz", typ, raw)
		var ve *types.ValidationError
		serverOK := err == nil
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("the server: %v", err)
		}
		got := h.judge(t, []judgeCase{{typ, string(raw)}})[0]
		switch {
		case serverOK != got.ok:
			t.Fatalf("%s field %s (slot %d) = %q: the server says valid=%v, the Rust loader valid=%v (field %q rule %q)", typ, field, slot, value, serverOK, got.ok, got.field, got.rule)
		case !serverOK && !slices.ContainsFunc(ve.Problems, func(p types.Problem) bool { return p.Field == got.field }):
			// A value that breaks two rules (a 5000-character non-URL) may be
			// named by either: the field must agree, the rule may not.
			t.Fatalf("%s field %s (slot %d) = %q: the Rust loader says field %q rule %q; the server's problems are %v", typ, field, slot, value, got.field, got.rule, ve.Problems)
		}
	})
}
