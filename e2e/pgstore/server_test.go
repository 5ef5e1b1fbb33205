package pgstore

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/pgtest"
)

// ward server --storage postgres: the connection string comes from the
// environment or a file, never shows in a log, and two servers on one
// database serve the same secrets.
func TestServerOnPostgres(t *testing.T) {
	dsn := pgtest.Database(t)
	u, _ := url.Parse(dsn)
	password, _ := u.User.Password()
	a := start(t, []string{"WARD_STORAGE_DSN=" + dsn}, "server", "--storage", "postgres", "--data", t.TempDir())
	if !strings.Contains(a.Logs(), "store postgres://postgres@") || !strings.Contains(a.Logs(), "(tls off)") {
		t.Errorf("banner does not describe the database:\n%s", a.Logs())
	}
	key, root := a.initUnseal()
	must(t, a.client(root), "", "env", "create", "prod")
	must(t, a.client(root), `{"password":"canary-on-a"}`, "kv", "put", "--env", "prod", "payments/db")

	// A second server on the same database, its DSN from a file.
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	os.WriteFile(dsnFile, []byte(dsn+"\n"), 0o600)
	b := start(t, nil, "server", "--storage", "postgres", "--storage-dsn-file", dsnFile, "--data", t.TempDir())
	if !strings.Contains(b.Logs(), "sealed") || strings.Contains(b.Logs(), "not initialised") {
		t.Fatalf("second server does not see the initialised store:\n%s", b.Logs())
	}
	b.unseal(key)
	if out := must(t, b.client(root), "", "kv", "get", "--env", "prod", "--field", "password", "payments/db"); out != "canary-on-a\n" {
		t.Errorf("second server reads %q", out)
	}
	must(t, b.client(root), `{"password":"canary-on-b"}`, "kv", "put", "--env", "prod", "payments/db")
	if out := must(t, a.client(root), "", "kv", "get", "--env", "prod", "--field", "password", "payments/db"); out != "canary-on-b\n" {
		t.Errorf("first server reads %q after the second wrote", out)
	}
	out := must(t, a.client(root), "", "operator", "status")
	if !strings.Contains(out, "postgres") {
		t.Errorf("status does not name the storage:\n%s", out)
	}
	a.Stop()
	b.Stop()
	for name, logs := range map[string]string{"first": a.Logs(), "second": b.Logs()} {
		if strings.Contains(logs, password) {
			t.Errorf("the %s server's log holds the database password", name)
		}
	}
}

// Wrong or missing connection strings fail clearly, exit without serving,
// and never print the password.
func TestServerStorageErrors(t *testing.T) {
	const pw = "Sup3r-secret-pw"
	data := t.TempDir()
	badFile := filepath.Join(t.TempDir(), "dsn")
	os.WriteFile(badFile, []byte("postgres://ward:"+pw+"@127.0.0.1:notaport/ward\n"), 0o600)
	for _, tc := range []struct {
		name     string
		env      []string
		args     []string
		code     int
		contains string
	}{
		{"NoDSN", nil, []string{"--storage", "postgres"}, 2, "WARD_STORAGE_DSN"},
		{"Unparseable", nil, []string{"--storage", "postgres", "--storage-dsn-file", badFile}, 1, "cannot be parsed"},
		{"NoServer", []string{"WARD_STORAGE_DSN=postgres://ward:" + pw + "@127.0.0.1:1/ward?sslmode=disable&connect_timeout=2"}, []string{"--storage", "postgres"}, 1, "cannot use the database"},
		{"UnknownStorage", nil, []string{"--storage", "etcd"}, 2, "bolt or postgres"},
		{"DSNFileWithBolt", nil, []string{"--storage-dsn-file", badFile}, 2, "--storage postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"server", "--data", data, "--listen", "127.0.0.1:0"}, tc.args...)
			_, errOut, code := run(t, tc.env, "", args...)
			if code != tc.code || !strings.Contains(errOut, tc.contains) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.contains, errOut)
			}
			if strings.Contains(errOut, pw) {
				t.Errorf("the error shows the password:\n%s", errOut)
			}
		})
	}
}
