package dbengine

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// Values of ConnConfig.PasswordAuthentication, as in Vault.
const (
	PasswordAuthPlain = "password"      // {{password}} is the password itself
	PasswordAuthSCRAM = "scram-sha-256" // {{password}} is its SCRAM-SHA-256 verifier
)

// scramIterations is PostgreSQL's default scram_iterations.
const scramIterations = 4096

// scramVerifier returns the SCRAM-SHA-256 verifier of password in the form
// PostgreSQL stores in pg_authid (RFC 5802, RFC 7677):
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>. Given in a
// PASSWORD clause, PostgreSQL keeps it as it is, so the password itself
// never reaches the database, its statement log or its CPU. password is
// printable ASCII (checkPasswordPolicy), which SASLprep leaves unchanged.
func scramVerifier(rnd io.Reader, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", fmt.Errorf("reading randomness: %w", err)
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	server := mac(salted, "Server Key")
	clear(salted)
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt), b64(stored[:]), b64(server)), nil
}
