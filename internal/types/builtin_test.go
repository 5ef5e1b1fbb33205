package types

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testPEM makes a certificate and its key, and a second, unrelated key.
func testPEM(t *testing.T) (cert, key, otherKey string) {
	t.Helper()
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "api.internal"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k1.PublicKey, k1)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(k *ecdsa.PrivateKey) string {
		b, _ := x509.MarshalPKCS8PrivateKey(k)
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), enc(k1), enc(k2)
}

func opensshKey() string {
	blob := append([]byte(sshMagic), make([]byte, 64)...)
	return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + base64.StdEncoding.EncodeToString(blob) + "\n-----END OPENSSH PRIVATE KEY-----\n"
}

// Every built-in type takes a valid secret and refuses each rule broken,
// with the message the user sees.
func TestBuiltins(t *testing.T) {
	cert, key, otherKey := testPEM(t)
	pg := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"host": "db.internal", "port": 5432, "user": "payments", "password": "pw", "database": "payments", "sslmode": "verify-full"}
		mod(m)
		return m
	}
	tests := []struct {
		typ  string
		data map[string]any
		want string // "" valid; else the error after "prod/app/s: "
	}{
		{"password", map[string]any{"password": "correct horse battery", "username": "svc"}, ""},
		{"password", map[string]any{"password": "short"}, `field "password": must be 12 to 1024 characters long`},
		{"password", map[string]any{"username": "svc"}, `field "password": is required`},
		{"password", map[string]any{"password": "correct horse battery", "pin": "1"}, `field "pin": is not a field of type password`},
		{"password", map[string]any{"password": 123456789012}, `field "password": must be a string`},

		{"api-token", map[string]any{"token": "tok_0123456789abcdef"}, ""},
		{"api-token", map[string]any{"token": "tok_0123456789 abcdef"}, `field "token": must match the pattern ^[\x21-\x7e]+$`},
		{"api-token", map[string]any{"token": "short"}, `field "token": must be 16 to 4096 characters long`},
		{"api-token", map[string]any{"token": "tok_0123456789abcdef", "endpoint": "not a uri"}, `field "endpoint": must be a valid uri`},

		{"postgres", pg(func(map[string]any) {}), ""},
		{"postgres", pg(func(m map[string]any) { delete(m, "sslmode") }), ""},
		{"postgres", pg(func(m map[string]any) { m["port"] = 70000 }), `field "port": must be an integer between 1 and 65535`},
		{"postgres", pg(func(m map[string]any) { m["port"] = 0 }), `field "port": must be an integer between 1 and 65535`},
		{"postgres", pg(func(m map[string]any) { m["port"] = "5432" }), `field "port": must be an integer between 1 and 65535`},
		{"postgres", pg(func(m map[string]any) { m["port"] = 54.32 }), `field "port": must be an integer between 1 and 65535`},
		{"postgres", pg(func(m map[string]any) { m["sslmode"] = "on" }), `field "sslmode": must be one of "disable", "allow", "prefer", "require", "verify-ca", "verify-full"`},
		{"postgres", pg(func(m map[string]any) { delete(m, "password") }), `field "password": is required`},
		{"postgres", pg(func(m map[string]any) { m["host"] = "db internal" }), `field "host": must match the pattern ^[A-Za-z0-9._:\[\]-]+$`},
		{"postgres", pg(func(m map[string]any) { m["user"] = "" }), `field "user": must be 1 to 63 characters long`},
		{"postgres", pg(func(m map[string]any) { m["url"] = "mysql://x" }), `field "url": must match the pattern ^postgres(ql)?://`},
		{"postgres", pg(func(m map[string]any) { delete(m, "host"); delete(m, "database") }), `field "database": is required; field "host": is required`},

		{"url-with-credentials", map[string]any{"url": "amqp://svc:pw@mq.internal/vhost"}, ""},
		{"url-with-credentials", map[string]any{"url": "amqp://mq.internal/vhost"}, `field "url": must be a URL with a user name and password: the URL has no user name`},
		{"url-with-credentials", map[string]any{"url": "amqp://svc@mq.internal/vhost"}, `field "url": must be a URL with a user name and password: the URL has no password`},
		{"url-with-credentials", map[string]any{"url": "mq.internal"}, `field "url": must be a URL with a user name and password: not an absolute URL like scheme://user:password@host/path`},

		{"tls", map[string]any{"certificate": cert, "private_key": key}, ""},
		{"tls", map[string]any{"certificate": cert + cert, "private_key": key, "ca": cert}, ""},
		{"tls", map[string]any{"certificate": cert, "private_key": otherKey}, `field "private_key": must be the private key of the certificate in "certificate"`},
		{"tls", map[string]any{"certificate": "junk", "private_key": key}, `field "certificate": must be a PEM certificate chain: no PEM CERTIFICATE block found`},
		{"tls", map[string]any{"certificate": key, "private_key": key}, `field "certificate": must be a PEM certificate chain: block 1 is a "PRIVATE KEY" PEM block, not CERTIFICATE`},
		{"tls", map[string]any{"certificate": cert + "trailing", "private_key": key}, `field "certificate": must be a PEM certificate chain: there is text after the last PEM block`},
		{"tls", map[string]any{"certificate": cert, "private_key": cert}, `field "private_key": must be a PEM private key: a "CERTIFICATE" PEM block is not a private key`},
		{"tls", map[string]any{"certificate": cert, "private_key": strings.Replace(key, "M", "N", 3)}, `field "private_key": must be a PEM private key: the PRIVATE KEY block does not parse`},

		{"ssh-private-key", map[string]any{"private_key": opensshKey()}, ""},
		{"ssh-private-key", map[string]any{"private_key": key, "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI svc@ci"}, ""},
		{"ssh-private-key", map[string]any{"private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"}, `field "private_key": must be an SSH private key: the OPENSSH PRIVATE KEY block is not in OpenSSH's key format`},
		{"ssh-private-key", map[string]any{"private_key": opensshKey(), "public_key": "ssh-dss AAAA"}, `field "public_key": must match the pattern ^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$`},

		{"aws-access-key", map[string]any{"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region": "eu-west-1"}, ""},
		{"aws-access-key", map[string]any{"access_key_id": "AKIA123", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, `field "access_key_id": must match the pattern ^(AKIA|ASIA)[A-Z2-7]{16}$`},
		{"aws-access-key", map[string]any{"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "too-short"}, `field "secret_access_key": must match the pattern ^[A-Za-z0-9/+=]{40}$`},
		{"aws-access-key", map[string]any{"access_key_id": "AKIAIOSFODNN7EXAMPLE"}, `field "secret_access_key": is required`},

		{"jwt-signing-key", map[string]any{"algorithm": "HS256", "key": strings.Repeat("k", 32)}, ""},
		{"jwt-signing-key", map[string]any{"algorithm": "ES256", "key": key, "kid": "2026-11"}, ""},
		{"jwt-signing-key", map[string]any{"algorithm": "HS256", "key": "short"}, `field "key": must be at least 32 characters long`},
		{"jwt-signing-key", map[string]any{"algorithm": "RS256", "key": strings.Repeat("k", 32)}, `field "key": must be a PEM private key: no PEM block found`},
		{"jwt-signing-key", map[string]any{"algorithm": "none", "key": strings.Repeat("k", 32)}, `field "algorithm": must be one of "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"; field "key": must be a PEM private key: no PEM block found`},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.typ] = true
		ty := Builtin(tt.typ)
		if ty == nil {
			t.Fatalf("no built-in %q", tt.typ)
		}
		err := ty.Validate("prod", "app/s", tt.data)
		got := ""
		if err != nil {
			got = strings.TrimPrefix(err.Error(), "prod/app/s: ")
		}
		if got != tt.want {
			t.Errorf("%s %v:\n got %s\nwant %s", tt.typ, keys(tt.data), got, tt.want)
		}
	}
	for _, name := range BuiltinNames() {
		if !seen[name] {
			t.Errorf("built-in %q has no test", name)
		}
	}
	if len(BuiltinNames()) != 8 {
		t.Errorf("built-ins: %v", BuiltinNames())
	}
}

func keys(m map[string]any) []string { return sortedKeys(m) }

// The example of the issue, word for word.
func TestValidationMessage(t *testing.T) {
	err := Builtin("postgres").Validate("prod", "payments/db", map[string]any{"host": "db", "port": 70000, "user": "u", "password": "p", "database": "d"})
	want := `prod/payments/db: field "port": must be an integer between 1 and 65535`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	ve := err.(*ValidationError)
	if ve.Problems[0].Rule != "maximum" || ve.Problems[0].Field != "port" || ve.Type != "postgres" {
		t.Errorf("problem = %+v", ve.Problems[0])
	}
}
