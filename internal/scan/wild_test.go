package scan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const (
	awsID     = "AKIAZ5QRXP7HN2JWLMQA"
	awsSecret = "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"
	stripeKey = "sk_live_xVP5D2TDjIhBPVAchtIphTQO"
)

func foldText(s string, width int, nl string) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + nl)
		s = s[width:]
	}
	return b.String() + s
}

// TestBase64FoldedStraddling: a token inside base64 folded at 20, 64 and
// 76 columns is found wherever the fold cuts it.
func TestBase64FoldedStraddling(t *testing.T) {
	for _, width := range []int{20, 64, 76} {
		for _, nl := range []string{"\n", "\r\n"} {
			for shift := 0; shift < 40; shift += 3 {
				env := strings.Repeat("#", shift) + "\nGITHUB_TOKEN=" + tok + "\nDEBUG=1\n"
				text := "data:\n" + foldText(base64.StdEncoding.EncodeToString([]byte(env)), width, nl) + nl + "end\n"
				if got := only(scanBytes(t, Config{}, []byte(text)).Findings, "github-pat"); len(got) != 1 {
					t.Errorf("width %d, %q, shift %d: %d findings", width, nl, shift, len(got))
				}
			}
		}
	}
}

// TestBase64InJSONString: base64 inside a JSON string, with its folds and
// slashes escaped.
func TestBase64InJSONString(t *testing.T) {
	env := "STRIPE_KEY=" + stripeKey + "\n\xff?>GITHUB_TOKEN=" + tok + "\n"
	b64 := foldText(base64.StdEncoding.EncodeToString([]byte(env)), 64, "\n")
	doc, _ := json.Marshal(map[string]string{"kind": "Secret", "blob": b64})
	escapedSlash := strings.ReplaceAll(string(doc), "/", `\/`)
	for name, text := range map[string]string{"json": string(doc), "json with \\/": escapedSlash} {
		fs := scanBytes(t, Config{}, []byte(text+"\n")).Findings
		if len(only(fs, "github-pat")) != 1 || len(only(fs, "stripe-key")) != 1 {
			t.Errorf("%s: %+v", name, fs)
		}
	}
}

// TestHexPassword: a password written in hex after its name.
func TestHexPassword(t *testing.T) {
	for _, pw := range []string{"Zq8r!T2m@W9x", "hunter2-Xk9#", "p4ssw0rd-2024-Q!"} {
		for _, text := range []string{
			"DB_PASSWORD=" + hex.EncodeToString([]byte(pw)) + "\n",
			`"password": "` + strings.ToUpper(hex.EncodeToString([]byte(pw))) + "\"\n",
		} {
			if got := scanBytes(t, Config{}, []byte(text)).Findings; len(got) != 1 || got[0].Encoding != EncHex {
				t.Errorf("%q: %+v", text, got)
			}
		}
	}
	// A hash under a password's name is not a password.
	for _, text := range []string{
		"password_sha256=5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\n",
		"token_rev: 0e5751c026e543b2e8ab2eb06099daa1d1e5df47\n",
		"PASSWORD_HASH=5f4dcc3b5aa765d61d8327deb882cf99\n",
	} {
		if got := scanBytes(t, Config{}, []byte(text)).Findings; len(got) != 0 {
			t.Errorf("%q: %+v", text, got)
		}
	}
}

// TestPercentEncodedPEM: a private key percent-encoded as a query string or
// a path.
func TestPercentEncodedPEM(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(k)
	p := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	for name, text := range map[string]string{
		"QueryEscape": "key=" + url.QueryEscape(p) + "&x=1",
		"PathEscape":  "/upload/" + url.PathEscape(p),
		"lower hex":   strings.ReplaceAll(strings.ReplaceAll(url.PathEscape(p), "%0A", "%0a"), "%2B", "%2b"),
	} {
		if got := only(scanBytes(t, Config{}, []byte(text+"\n")).Findings, "private-key"); len(got) != 1 {
			t.Errorf("%s: %d findings", name, len(got))
		}
	}
}

// TestPackedAWSPair: an AWS key pair whose two string literals a Go or
// Rust linker put end to end, in either order, among other strings.
func TestPackedAWSPair(t *testing.T) {
	for name, text := range map[string]string{
		"go, id first":     "\x00\x01runtime.gopanicinternal/poll.(*FD).Read" + awsID + awsSecret + "unexpected EOFsync.(*Mutex).Lock" + stripeKey + "\x00",
		"go, secret first": "\x00\x01runtime.gopanicunexpected EOF" + awsSecret + awsID + "sync.(*Mutex).Lock\x00",
		"rust":             "\x00called `Option::unwrap()` on a `None` value" + awsID + awsSecret + "src/main.rsattempt to add with overflow\x00",
	} {
		fs := scanBytes(t, Config{}, []byte(text)).Findings
		secrets := len(only(fs, "aws-secret-packed-after-id")) + len(only(fs, "aws-secret-packed-before-id"))
		if secrets != 1 {
			t.Errorf("%s: %d secrets found: %+v", name, secrets, fs)
		}
	}
	// Text that only looks packed is not a key pair.
	for _, text := range []string{
		awsID + strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2),
		"the quick brown fox jumps over the lazy dog, twice over" + awsID,
	} {
		fs := scanBytes(t, Config{}, []byte(text)).Findings
		if n := len(only(fs, "aws-secret-packed-after-id")) + len(only(fs, "aws-secret-packed-before-id")); n != 0 {
			t.Errorf("%q: %d packed secrets", text, n)
		}
	}
}

// TestBase64ManyCredentials: a run that decodes to several credentials
// reports each of them.
func TestBase64ManyCredentials(t *testing.T) {
	env := fmt.Sprintf("GITHUB_TOKEN=%s\nSTRIPE_KEY=%s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", tok, stripeKey, awsID, awsSecret)
	text := "config: " + base64.StdEncoding.EncodeToString([]byte(env)) + "\n"
	fs := scanBytes(t, Config{}, []byte(text)).Findings
	for _, rule := range []string{"github-pat", "stripe-key", "aws-access-key-id", "aws-secret-access-key"} {
		if len(only(fs, rule)) != 1 {
			t.Errorf("%s: %d findings of %d", rule, len(only(fs, rule)), len(fs))
		}
	}
}

// TestHexBeforeTimestampedLine: a hex run that ends its line is not taken
// for the first line of folded base64 when the next line starts with a
// timestamp.
func TestHexBeforeTimestampedLine(t *testing.T) {
	text := "export DB_PASSWORD=" + hex.EncodeToString([]byte("WQYWxhsf762%")) + "\n2026-01-05T14:03:22.1234567Z build test 42\n"
	if got := scanBytes(t, Config{}, []byte(text)).Findings; len(got) != 1 || got[0].Encoding != EncHex {
		t.Errorf("%+v", got)
	}
}
