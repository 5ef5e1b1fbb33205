// Command wildcorpus writes a corpus of the forms secrets take in real CI
// logs and artifacts that the shared generator (../shared/bench/corpus)
// does not plant, with ground truth and decoys in the shared format, so
// that ../shared/bench/corpus/eval.go scores a scanner on them and prints
// recall per form (its "variant"):
//
//	go run ./bench/scan/wildcorpus -out /tmp/wild -n 200
//	ward scan --format json /tmp/wild > /tmp/wild.json
//	(cd ../shared/bench && go run ./corpus/eval.go -root /tmp/wild -base / -report /tmp/wild.json -match location)
//
// Forms (variants), each planted n times with fresh fake credentials:
//
//	b64-fold-20, -64, -76    base64 of an env file folded at that width (LF
//	                         or CRLF), the secret straddling a fold
//	json-b64                 base64 inside a JSON string, folded at 64 with
//	                         the secret across a fold, folds written \n,
//	                         slashes sometimes \/
//	hex-password             a password written in hex after its name
//	pct-pem                  a private key percent-encoded as a form value or
//	                         a URL path
//	packed-go, packed-rust   an AWS key pair and a Stripe key among the packed
//	                         string literals of a Go or Rust binary
//	b64-multi                one base64 run holding three credentials
//
// Decoys (not secrets, for precision): password hashes in hex under
// password names, folded base64 of random binary data, public certificates,
// packed binaries with AKIA-like runs of capitals and no key, AWS's
// documentation keys.
//
// Every credential is random and fake; the same -seed gives the same bytes.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"hash/crc32"
	"log"
	"math/big"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
	base62 = digits + upper + lower
	b32    = upper + "234567"
)

// record is one line of <out>.truth.jsonl or <out>.decoys.jsonl, as the
// shared eval.go reads them.
type record struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	EndLine   int    `json:"end_line"`
	Col       int    `json:"col"`
	EndCol    int    `json:"end_col"`
	Kind      string `json:"kind"`
	Variant   string `json:"variant"`
	Container string `json:"container"`
	Value     string `json:"value"`
	Written   string `json:"written,omitempty"`
}

type gen struct {
	r              *rand.Rand
	out            string
	truth, decoys  *json.Encoder
	nTruth, nDecoy int
}

// file is one output file being written.
type file struct {
	g         *gen
	rel       string
	container string
	b         bytes.Buffer
	line      int
}

func (g *gen) newFile(rel, container string) *file {
	return &file{g: g, rel: rel, container: container, line: 1}
}

func (f *file) S(s string) {
	f.b.WriteString(s)
	f.line += strings.Count(s, "\n")
}

func (f *file) col() int { b := f.b.Bytes(); return len(b) - bytes.LastIndexByte(b, '\n') }

// put writes text and records each (kind, value) in it, as truth or as
// decoys, at text's span.
func (f *file) put(text, variant string, decoy bool, kv ...string) {
	line, col := f.line, f.col()
	f.S(text)
	for i := 0; i+1 < len(kv); i += 2 {
		rec := record{File: f.rel, Line: line, EndLine: f.line, Col: col, EndCol: f.col() - 1, Kind: kv[i],
			Variant: variant, Container: f.container, Value: kv[i+1]}
		if !strings.Contains(text, kv[i+1]) {
			rec.Written = text
		}
		enc, n := f.g.truth, &f.g.nTruth
		if decoy {
			enc, n = f.g.decoys, &f.g.nDecoy
		}
		if err := enc.Encode(rec); err != nil {
			log.Fatal(err)
		}
		*n++
	}
}

func (f *file) close() {
	p := filepath.Join(f.g.out, f.rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, f.b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func (g *gen) rs(n int, cs string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = cs[g.r.IntN(len(cs))]
	}
	return string(b)
}

func (g *gen) githubPAT() string {
	body := g.rs(30, base62)
	n := crc32.ChecksumIEEE([]byte(body))
	var c []byte
	for ; n > 0; n /= 62 {
		c = append([]byte{base62[n%62]}, c...)
	}
	for len(c) < 6 {
		c = append([]byte{'0'}, c...)
	}
	return "ghp_" + body + string(c)
}

func (g *gen) stripe() string    { return "sk_live_" + g.rs(24+g.r.IntN(8), base62) }
func (g *gen) awsID() string     { return "AKIA" + g.rs(16, b32) }
func (g *gen) awsSecret() string { return g.rs(40, base62+"+/") }
func (g *gen) password() string {
	return g.rs(4, upper) + g.rs(4, lower) + g.rs(3, digits) + g.rs(1, "!@#%^&*-_=+?")
}

// noise writes n lines of CI log text.
func (f *file) noise(n int) {
	words := strings.Fields("build test deploy fetch cache restore upload artifact runner step job module crate compile link")
	for range n {
		g := f.g
		fmt.Fprintf(&f.b, "2026-01-0%dT%02d:%02d:%02d.%07dZ %s %s %s %d\n", 1+g.r.IntN(9), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1e7),
			words[g.r.IntN(len(words))], words[g.r.IntN(len(words))], words[g.r.IntN(len(words))], g.r.IntN(10000))
		f.line++
	}
}

func fold(s string, width int, nl string) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + nl)
		s = s[width:]
	}
	return b.String() + s
}

// foldStraddling returns env base64-encoded and folded at width, with
// padding lines before the secret chosen so that the secret's encoding
// crosses a fold.
func (g *gen) foldStraddling(secret, name string, width int, nl string) string {
	for pad := g.r.IntN(width); ; pad++ {
		env := "# generated " + strings.Repeat("#", pad) + "\n" + name + "=" + secret + "\nLOG_LEVEL=info\n"
		enc := base64.StdEncoding.EncodeToString([]byte(env))
		at := (strings.Index(env, secret) * 4) / 3
		end := ((strings.Index(env, secret) + len(secret)) * 4) / 3
		if at/width != end/width {
			return fold(enc, width, nl)
		}
	}
}

func (g *gen) privateKeyPEM() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), g)
	if err != nil {
		log.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		log.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

// Read makes gen an io.Reader of deterministic bytes for key generation.
func (g *gen) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.r.Uint32())
	}
	return len(p), nil
}

func (g *gen) certificatePEM() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), g)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(g.r.Int64())}
	der, err := x509.CreateCertificate(g, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		log.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// goStrings and rustStrings are the kind of literals a linker packs around
// a program's own.
var (
	goStrings   = strings.Fields("runtime.gopanic internal/poll.(*FD).Read unexpected sync.(*Mutex).Lock net/http.(*Client).Do reflect.Value.Call encoding/json.Unmarshal os.(*File).Write context.deadlineExceededError")
	rustStrings = strings.Fields("called`Option::unwrap()`on`None` src/main.rs attempt_to_add_with_overflow core::panicking::panic tokio::runtime::Runtime serde_json::de::from_str alloc::raw_vec::capacity_overflow")
)

func (g *gen) packed(lits []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(lits[g.r.IntN(len(lits))])
	}
	return b.String()
}

func main() {
	out := flag.String("out", "", "corpus directory to create (must not exist)")
	n := flag.Int("n", 100, "how many of each form to plant")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("wildcorpus: ")
	if *out == "" {
		log.Fatal("give -out DIR")
	}
	if _, err := os.Stat(*out); err == nil {
		log.Fatalf("%s exists: give a new directory", *out)
	}
	out2 := filepath.Clean(*out)
	tf, err := os.Create(out2 + ".truth.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	defer tf.Close()
	df, err := os.Create(out2 + ".decoys.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	defer df.Close()
	g := &gen{r: rand.New(rand.NewPCG(*seed, 7)), out: out2, truth: json.NewEncoder(tf), decoys: json.NewEncoder(df)}

	for i := range *n {
		// One CI log per round with the text forms, in a random order.
		f := g.newFile(fmt.Sprintf("ci-logs/job-%04d.log", i), "text")
		f.noise(5 + g.r.IntN(20))
		forms := []func(){
			func() {
				width := []int{20, 64, 76}[g.r.IntN(3)]
				nl := []string{"\n", "\r\n"}[g.r.IntN(2)]
				pat := g.githubPAT()
				f.S("$ kubectl get secret ci-env -o jsonpath='{.data.env}'" + nl)
				f.put(g.foldStraddling(pat, "GITHUB_TOKEN", width, nl), fmt.Sprintf("b64-fold-%d", width), false, "github-pat", pat)
				f.S(nl)
			},
			func() {
				sk := g.stripe()
				b64 := g.foldStraddling(sk, "STRIPE_KEY", 64, "\n")
				doc, _ := json.Marshal(map[string]string{"name": "payments-env", "data": b64})
				text := string(doc)
				if g.r.IntN(2) == 0 {
					text = strings.ReplaceAll(text, "/", `\/`)
				}
				f.S(`response body: `)
				f.put(text, "json-b64", false, "stripe-key", sk)
				f.S("\n")
			},
			func() {
				pw := g.password()
				h, end := hex.EncodeToString([]byte(pw)), "\n"
				if g.r.IntN(2) == 0 {
					f.S("export DB_PASSWORD=")
				} else {
					h, end = strings.ToUpper(h), "\",\n"
					f.S(`  "password": "`)
				}
				f.put(h, "hex-password", false, "password", pw)
				f.S(end)
			},
			func() {
				key := g.privateKeyPEM()
				var text string
				if g.r.IntN(2) == 0 {
					text = "curl -s -d 'key=" + url.QueryEscape(key) + "' https://vault.internal/upload"
				} else {
					text = "GET /v1/keys/" + url.PathEscape(key) + " HTTP/1.1"
				}
				f.put(text, "pct-pem", false, "private-key", key)
				f.S("\n")
			},
			func() {
				pat, sk, sec := g.githubPAT(), g.stripe(), g.awsSecret()
				env := fmt.Sprintf("GITHUB_TOKEN=%s\nSTRIPE_KEY=%s\nAWS_SECRET_ACCESS_KEY=%s\n", pat, sk, sec)
				f.S("config: ")
				f.put(base64.StdEncoding.EncodeToString([]byte(env)), "b64-multi", false,
					"github-pat", pat, "stripe-key", sk, "aws-secret-access-key", sec)
				f.S("\n")
			},
			// decoys
			func() {
				sum := sha256.Sum256([]byte(g.rs(12, base62)))
				f.S("PASSWORD_SHA256=")
				f.put(hex.EncodeToString(sum[:]), "decoy-hash", true, "password-hash", hex.EncodeToString(sum[:]))
				f.S("\n")
			},
			func() {
				blob := make([]byte, 120+g.r.IntN(200))
				g.Read(blob)
				f.S("data:\n")
				b := fold(base64.StdEncoding.EncodeToString(blob), 76, "\n")
				f.put(b, "decoy-b64-binary", true, "binary", b)
				f.S("\n")
			},
			func() {
				c := g.certificatePEM()
				f.put(fold(base64.StdEncoding.EncodeToString([]byte(c)), 64, "\n"), "decoy-b64-cert", true, "certificate", c)
				f.S("\n")
			},
		}
		g.r.Shuffle(len(forms), func(a, b int) { forms[a], forms[b] = forms[b], forms[a] })
		for _, form := range forms {
			form()
			f.noise(2 + g.r.IntN(10))
		}
		f.close()

		// One Go-like and one Rust-like binary.
		for _, kind := range []struct {
			name string
			lits []string
		}{{"go", goStrings}, {"rust", rustStrings}} {
			b := g.newFile(fmt.Sprintf("dist/%s/app-%04d", kind.name, i), "blob")
			b.S("\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 56))
			b.S(g.packed(kind.lits, 20))
			id, sec := g.awsID(), g.awsSecret()
			pair := id + sec
			if g.r.IntN(2) == 0 {
				pair = sec + id
			}
			b.put(pair, "packed-"+kind.name, false, "aws-access-key-id", id, "aws-secret-access-key", sec)
			b.S(g.packed(kind.lits, 10))
			sk := g.stripe()
			b.put(sk, "packed-"+kind.name+"-stripe", false, "stripe-key", sk)
			b.S("\x00" + g.packed(kind.lits, 10))
			// decoys: capitals that look like a key ID but are not one, and
			// AWS's documentation pair
			fake := "AKIA" + strings.Repeat("Z", 16) + strings.ToUpper(g.rs(40, upper))
			b.put(fake, "decoy-packed-capitals", true, "capitals", fake)
			b.S(g.packed(kind.lits, 5))
			doc := "AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
			b.put(doc, "decoy-packed-aws-docs", true, "aws-docs", doc)
			b.S(g.packed(kind.lits, 20) + "\x00\x00")
			b.close()
		}
	}
	log.Printf("%s: %d secrets, %d decoys", out2, g.nTruth, g.nDecoy)
}
