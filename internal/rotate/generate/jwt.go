package generate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
)

const jwtType = "jwt-signing-key"

// rsaBits is the size of a new RSA signing key.
const rsaBits = 3072

// jwt makes a new key and kid for current's algorithm (ES256 when
// current has none).
func (g *Generator) jwt(src *readerSource, current map[string]any) (map[string]any, error) {
	alg, _ := current["algorithm"].(string)
	if alg == "" {
		alg = "ES256"
	}
	key, err := newSigningKey(src, alg)
	if err != nil {
		return nil, err
	}
	kid := make([]byte, 12)
	src.read(kid)
	out := merge(current, nil, nil)
	out["algorithm"] = alg
	out["key"] = key
	out["kid"] = base64.RawURLEncoding.EncodeToString(kid)
	return out, nil
}

func newSigningKey(src *readerSource, alg string) (string, error) {
	var k crypto.Signer
	var err error
	switch {
	case strings.HasPrefix(alg, "HS"):
		b := make([]byte, 64)
		src.read(b)
		return base64.RawURLEncoding.EncodeToString(b), nil
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		k, err = rsa.GenerateKey(src, rsaBits)
	case alg == "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), src)
	case alg == "ES384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), src)
	case alg == "ES512":
		k, err = ecdsa.GenerateKey(elliptic.P521(), src)
	case alg == "EdDSA":
		_, k, err = ed25519.GenerateKey(src)
	default:
		return "", fmt.Errorf("type %s: algorithm %q has no key generator; hint: use one the type lists", jwtType, alg)
	}
	if err != nil {
		return "", fmt.Errorf("type %s: making a %s key: %w", jwtType, alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}
