package postgres_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/pgtest"
	"github.com/wardhq/ward/internal/storage/postgres"
)

// newCert makes a certificate for 127.0.0.1 signed by parent (self-signed
// when parent is nil) and returns it, its key and its PEM.
func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "ward test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// The connection string's sslmode and sslrootcert are honoured: with
// verify-full and the right CA the store connects over TLS; with another
// CA it refuses to. The test turns TLS on in the private test server, so
// it needs to be root (to hand the key to the postgres user) and a server
// started by pgtest.
func TestTLSToTheDatabase(t *testing.T) {
	if os.Getenv("WARD_TEST_PG_DSN") != "" || os.Geteuid() != 0 {
		t.Skip("needs the private server of pgtest, started as root, to turn its TLS on")
	}
	dsn := pgtest.Database(t)
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("no postgres user")
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir, err := os.MkdirTemp("", "ward-pg-tls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	ca, caKey, caPEM := newCert(t, nil, nil, true)
	_, srvKey, srvPEM := newCert(t, ca, caKey, false)
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	files := map[string][]byte{
		"server.crt": srvPEM,
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		"ca.pem":     caPEM,
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chown(p, uid, gid)
	}
	_, _, otherCA := newCert(t, nil, nil, true)
	os.WriteFile(filepath.Join(dir, "other-ca.pem"), otherCA, 0o644)

	sql(t, dsn,
		"ALTER SYSTEM SET ssl_cert_file = '"+filepath.Join(dir, "server.crt")+"'",
		"ALTER SYSTEM SET ssl_key_file = '"+filepath.Join(dir, "server.key")+"'",
		"ALTER SYSTEM SET ssl = on",
		"SELECT pg_reload_conf()")
	t.Cleanup(func() {
		sql(t, dsn, "ALTER SYSTEM RESET ssl", "ALTER SYSTEM RESET ssl_cert_file", "ALTER SYSTEM RESET ssl_key_file", "SELECT pg_reload_conf()")
	})
	waitSSL(t, dsn) // the reload is asynchronous

	withTLS := func(mode, root string) string {
		return strings.Replace(dsn, "sslmode=disable", "sslmode="+mode+"&sslrootcert="+filepath.Join(dir, root), 1)
	}
	good := withTLS("verify-full", "ca.pem")
	db, err := postgres.Open(ctx, good, postgres.Options{})
	if err != nil {
		t.Fatalf("Open with verify-full and the server's CA: %v", err)
	}
	db.Close()
	if d := postgres.Describe(good); !strings.Contains(d, "tls verified") {
		t.Errorf("Describe = %q", d)
	}
	conn, err := pgx.Connect(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	var ssl bool
	err = conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl)
	conn.Close(ctx)
	if err != nil || !ssl {
		t.Fatalf("connection with sslmode=verify-full is not TLS: %v %v", ssl, err)
	}
	if _, err := postgres.Open(ctx, withTLS("verify-full", "other-ca.pem"), postgres.Options{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Open with verify-full and another CA = %v, want a certificate error", err)
	}
}

// waitSSL waits until new connections to the server see ssl=on.
func waitSSL(t *testing.T, dsn string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var on string
		err = conn.QueryRow(ctx, "SHOW ssl").Scan(&on)
		conn.Close(ctx)
		if err == nil && on == "on" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server did not turn TLS on within 10s of pg_reload_conf")
}
