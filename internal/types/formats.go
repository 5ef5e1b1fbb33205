package types

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"
)

// Formats ward adds to JSON Schema's. Their errors are formatError values,
// whose text is about the form of a value and never contains any of it.
const (
	FormatCertChain  = "ward-pem-certificate-chain"
	FormatPrivateKey = "ward-pem-private-key"
	FormatSSHKey     = "ward-ssh-private-key"
	FormatCredURL    = "ward-url-with-credentials"
)

// formatDescriptions are what a value of each format must be, for messages.
var formatDescriptions = map[string]string{
	FormatCertChain:  "a PEM certificate chain",
	FormatPrivateKey: "a PEM private key",
	FormatSSHKey:     "an SSH private key",
	FormatCredURL:    "a URL with a user name and password",
}

var wardFormats = []*jsonschema.Format{
	{Name: FormatCertChain, Validate: func(v any) error { _, err := asString(v, parseCertChain); return err }},
	{Name: FormatPrivateKey, Validate: func(v any) error { _, err := asString(v, parsePrivateKey); return err }},
	{Name: FormatSSHKey, Validate: func(v any) error { _, err := asString(v, parseSSHKey); return err }},
	{Name: FormatCredURL, Validate: func(v any) error { _, err := asString(v, parseCredURL); return err }},
}

// publicError is an error whose public text may be shown: it describes a
// value's form, not its content.
type publicError interface{ public() string }

type formatError string

func (e formatError) Error() string  { return string(e) }
func (e formatError) public() string { return string(e) }

// asString runs parse on v when it is a string; other kinds are left to
// the "type" keyword, as JSON Schema's formats do.
func asString[T any](v any, parse func(string) (T, error)) (T, error) {
	var zero T
	s, ok := v.(string)
	if !ok {
		return zero, nil
	}
	return parse(s)
}

func parseCertChain(s string) ([]*x509.Certificate, error) {
	rest := []byte(s)
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, formatError(fmt.Sprintf("block %d is a %q PEM block, not CERTIFICATE", len(certs)+1, b.Type))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, formatError(fmt.Sprintf("certificate %d does not parse as X.509", len(certs)+1))
		}
		certs = append(certs, c)
	}
	switch {
	case len(certs) == 0:
		return nil, formatError("no PEM CERTIFICATE block found")
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, formatError("there is text after the last PEM block")
	}
	return certs, nil
}

func parsePrivateKey(s string) (crypto.Signer, error) {
	b, rest := pem.Decode([]byte(s))
	switch {
	case b == nil:
		return nil, formatError("no PEM block found")
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, formatError("there is more than one PEM block")
	}
	var key any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, formatError("the key is encrypted; store it decrypted (ward encrypts it at rest)")
	default:
		return nil, formatError(fmt.Sprintf("a %q PEM block is not a private key", b.Type))
	}
	if err != nil {
		return nil, formatError(fmt.Sprintf("the %s block does not parse", b.Type))
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, formatError("the key is of an unsupported kind")
	}
	return signer, nil
}

// sshMagic opens every OpenSSH private key after base64 decoding.
const sshMagic = "openssh-key-v1\x00"

func parseSSHKey(s string) (struct{}, error) {
	b, rest := pem.Decode([]byte(s))
	switch {
	case b == nil:
		return struct{}{}, formatError("no PEM block found")
	case len(bytes.TrimSpace(rest)) > 0:
		return struct{}{}, formatError("there is more than one PEM block")
	}
	if b.Type == "OPENSSH PRIVATE KEY" {
		if !bytes.HasPrefix(b.Bytes, []byte(sshMagic)) || len(b.Bytes) < len(sshMagic)+32 {
			return struct{}{}, formatError("the OPENSSH PRIVATE KEY block is not in OpenSSH's key format")
		}
		return struct{}{}, nil
	}
	_, err := parsePrivateKey(s)
	return struct{}{}, err
}

func parseCredURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, formatError("not an absolute URL like scheme://user:password@host/path")
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, formatError("the URL has no user name")
	}
	if p, ok := u.User.Password(); !ok || p == "" {
		return nil, formatError("the URL has no password")
	}
	return u, nil
}

// publicKey is what every crypto.PublicKey in the standard library has.
type publicKey interface{ Equal(crypto.PublicKey) bool }

// tlsPairVocab adds the keyword "x-ward-tls-pair": {"certificate": FIELD,
// "private_key": FIELD}, which checks that the private key belongs to the
// first certificate of the chain.
var tlsPairVocab = &jsonschema.Vocabulary{
	URL: "https://types.ward.invalid/vocab/tls-pair",
	Compile: func(_ *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
		v, ok := obj["x-ward-tls-pair"]
		if !ok {
			return nil, nil
		}
		m, _ := v.(map[string]any)
		cert, _ := m["certificate"].(string)
		key, _ := m["private_key"].(string)
		if len(m) != 2 || cert == "" || key == "" {
			return nil, errors.New(`"x-ward-tls-pair" must be {"certificate": "FIELD", "private_key": "FIELD"}`)
		}
		return &tlsPair{certField: cert, keyField: key}, nil
	},
}

type tlsPair struct{ certField, keyField string }

func (p *tlsPair) Validate(ctx *jsonschema.ValidatorContext, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	certs, err := asString(obj[p.certField], parseCertChain)
	if err != nil || certs == nil {
		return // the field's own format reports it
	}
	key, err := asString(obj[p.keyField], parsePrivateKey)
	if err != nil || key == nil {
		return
	}
	if pub, ok := certs[0].PublicKey.(publicKey); ok && pub.Equal(key.Public()) {
		return
	}
	ctx.AddError(&tlsPairMismatch{certField: p.certField, keyField: p.keyField})
}

// tlsPairMismatch is the error kind of x-ward-tls-pair.
type tlsPairMismatch struct{ certField, keyField string }

func (*tlsPairMismatch) KeywordPath() []string { return []string{"x-ward-tls-pair"} }

func (k *tlsPairMismatch) LocalizedString(*message.Printer) string {
	return fmt.Sprintf("%q is not the private key of the certificate in %q", k.keyField, k.certField)
}

var (
	_ publicKey = (*rsa.PublicKey)(nil)
	_ publicKey = (*ecdsa.PublicKey)(nil)
	_ publicKey = ed25519.PublicKey(nil)
)
