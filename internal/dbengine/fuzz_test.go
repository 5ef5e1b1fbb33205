package dbengine_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
	"github.com/wardhq/ward/internal/lease/leasetest"
)

var holdsPassword = regexp.MustCompile(`(^|[\s?&])password\s*=\s*'?s3cretPW-fuzz`)

// FuzzConfig: any connection URL, username and charset gives a stored
// config or a clear error; the error never quotes the password, and a URL
// that holds a password (user:PW@ or password=PW) is never stored.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		"postgres://{{username}}:{{password}}@127.0.0.1:5432/db?sslmode=disable",
		"host=127.0.0.1 user={{username}} password={{password}} dbname=db",
		"postgres://ward:s3cretPW-fuzz@db/x", "host=db password=s3cretPW-fuzz", "postgres://%zz", "",
		"postgres://{{username}}@db:99999/x", "postgresql:///db?host=/tmp&password=s3cretPW-fuzz",
	} {
		f.Add(s, "ward", "")
	}
	f.Add("postgres://{{username}}:{{password}}@db/x", `a"b`, "abc'def")
	b, _ := leasetest.Barrier(f, staging.ID)
	m := lease.New(lease.Config{Storage: b})
	e := dbengine.New(dbengine.Config{Storage: b, Leases: m})
	const secret = "s3cretPW-fuzz"
	no := false
	f.Fuzz(func(t *testing.T, url, user, charset string) {
		c := dbengine.ConnConfig{
			PluginName: dbengine.PluginPostgreSQL, ConnectionURL: url, Username: user, Password: secret,
			PasswordCharset: charset, AllowedRoles: []string{"*"}, VerifyConnection: &no,
		}
		err := e.WriteConfig(ctx, staging, "fz", c)
		if err != nil {
			if !errors.Is(err, dbengine.ErrInvalid) {
				t.Fatalf("WriteConfig(%q): %v, want ErrInvalid", url, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("WriteConfig(%q): error quotes the password: %v", url, err)
			}
			return
		}
		if holdsPassword.MatchString(url) || strings.Contains(url, ":"+secret+"@") {
			t.Fatalf("a connection URL holding the password was stored: %q", url)
		}
		got, err := e.ReadConfig(ctx, staging, "fz")
		if err != nil || got.Password != "" || got.PendingPassword != "" {
			t.Fatalf("ReadConfig: %+v, %v", got, err)
		}
	})
}
