package dbengine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
)

func TestConfigRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	const secret = "hunter2-canary-7x"
	for name, tc := range map[string]struct {
		mod   func(*dbengine.ConnConfig)
		field string
	}{
		"password in url":    {func(c *dbengine.ConnConfig) { c.ConnectionURL = "postgres://ward:" + secret + "@127.0.0.1/db" }, "connection_url"},
		"password keyword":   {func(c *dbengine.ConnConfig) { c.ConnectionURL = "host=127.0.0.1 user={{username}} password=" + secret }, "connection_url"},
		"unparsable url":     {func(c *dbengine.ConnConfig) { c.ConnectionURL = "postgres://%zz" + secret }, "connection_url"},
		"no url":             {func(c *dbengine.ConnConfig) { c.ConnectionURL = "" }, "connection_url"},
		"mysql":              {func(c *dbengine.ConnConfig) { c.PluginName = "mysql-database-plugin" }, "plugin_name"},
		"quote in charset":   {func(c *dbengine.ConnConfig) { c.PasswordCharset = "abcdefghijk'" }, "password_charset"},
		"tiny charset":       {func(c *dbengine.ConnConfig) { c.PasswordCharset = "ab" }, "password_charset"},
		"short password":     {func(c *dbengine.ConnConfig) { c.PasswordLength = 8 }, "password_length"},
		"weak password":      {func(c *dbengine.ConnConfig) { c.PasswordLength, c.PasswordCharset = 16, "0123456789" }, "password_length"},
		"quote in username":  {func(c *dbengine.ConnConfig) { c.Username = `ward"; DROP` }, "username"},
		"bad allowed role":   {func(c *dbengine.ConnConfig) { c.AllowedRoles = []string{"App Role"} }, "allowed_roles"},
		"too many conns":     {func(c *dbengine.ConnConfig) { c.MaxOpenConnections = 10000 }, "max_open_connections"},
		"template, no value": {func(c *dbengine.ConnConfig) { c.Password = "" }, "password"},
	} {
		c := f.config()
		c.Password = secret
		tc.mod(&c)
		err := f.e.WriteConfig(ctx, staging, "main", c)
		var fe *dbengine.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, dbengine.ErrInvalid) {
			t.Errorf("%s: %v, want a FieldError on %s", name, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error %q quotes the password", name, err)
		}
	}
	if names, _ := f.e.ListConfigs(ctx, staging); len(names) != 0 {
		t.Fatalf("refused configs were stored: %v", names)
	}
	if err := f.e.WriteConfig(ctx, staging, "Main!", f.config()); !errors.Is(err, dbengine.ErrInvalid) {
		t.Fatalf("bad config name: %v", err)
	}
}

// TestCanary: a marker admin password and the generated passwords appear
// in no stored byte, no read, no error and no log line.
func TestCanary(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	marker := f.adminPw
	c := f.creds(staging, "app", "tokA")

	got, err := f.e.ReadConfig(ctx, staging, "main")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(got)
	if bytes.Contains(out, []byte(marker)) || got.Password != "" {
		t.Fatalf("ReadConfig returns the admin password: %s", out)
	}
	if bytes.Contains(out, []byte(`"password":`)) || bytes.Contains(out, []byte(`"pending_password":`)) {
		t.Fatalf("ReadConfig's JSON has a password field: %s", out)
	}
	raw, _ := f.mem.List(ctx, "")
	var keys []string
	var walk func(prefix string)
	walk = func(prefix string) {
		names, _ := f.mem.List(ctx, prefix)
		for _, n := range names {
			if strings.HasSuffix(n, "/") {
				walk(prefix + n)
			} else {
				keys = append(keys, prefix+n)
			}
		}
	}
	walk("")
	if len(raw) == 0 || len(keys) < 3 {
		t.Fatalf("storage walk found %d keys", len(keys))
	}
	for _, k := range keys {
		e, err := f.mem.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{marker, c.Password, c.Username} {
			if bytes.Contains(e.Value, []byte(s)) || strings.Contains(k, s) {
				t.Fatalf("stored key %q holds %q in the clear", k, s)
			}
		}
	}
	// The lease record names the user (to drop it) but never the password.
	l, _ := f.leases.Lookup(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, c.Lease.ID)
	if !bytes.Contains(l.Data, []byte(c.Username)) || bytes.Contains(l.Data, []byte(c.Password)) {
		t.Fatalf("lease data %s: want the user name and no password", l.Data)
	}
	if err := f.e.RotateRoot(ctx, staging, "main"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{marker, c.Password} {
		if strings.Contains(f.logs.String(), s) {
			t.Fatal("a password is in the log")
		}
	}
}

func TestRotateRoot(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	if err := f.e.RotateRoot(ctx, staging, "main"); err != nil {
		t.Fatalf("RotateRoot: %v", err)
	}
	if conn, err := f.login(f.admin, f.adminPw); err == nil {
		conn.Close(ctx)
		t.Fatal("the old admin password still logs in after rotate-root")
	}
	// Only ward knows the new one, and it works.
	c := f.creds(staging, "app", "tokA")
	if conn, err := f.login(c.Username, c.Password); err != nil {
		t.Fatalf("creds after rotate-root: %v", err)
	} else {
		conn.Close(ctx)
	}
	// A config rewritten without a password keeps the rotated one.
	cfg := f.config()
	cfg.Password = ""
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatalf("WriteConfig without a password after rotation: %v", err)
	}
	if err := f.e.RotateRoot(ctx, prod, "main"); !errors.Is(err, dbengine.ErrNotFound) {
		t.Fatalf("rotate-root of a config of another environment: %v", err)
	}
}

func TestRotateRootFailureKeepsTheOldPassword(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.RootRotationStatements = []string{`ALTER ROLE "{{username}}" WITH NOPE '{{password}}'`}
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.e.WriteRole(ctx, staging, "app", appRole); err != nil {
		t.Fatal(err)
	}
	var se *dbengine.StatementError
	if err := f.e.RotateRoot(ctx, staging, "main"); !errors.As(err, &se) || strings.Contains(err.Error(), f.adminPw) {
		t.Fatalf("failing rotation: %v", err)
	}
	if conn, err := f.login(f.admin, f.adminPw); err != nil {
		t.Fatalf("the old admin password no longer works after a failed rotation: %v", err)
	} else {
		conn.Close(ctx)
	}
	f.creds(staging, "app", "tokA")
}

// TestInterruptedRotationIsFinished: ward stopped after the database took
// the new admin password but before the config recorded it.
func TestInterruptedRotationIsFinished(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	key := "env/" + staging.ID + "/database/config/main"
	e, err := f.b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		t.Fatal(err)
	}
	next := "next-" + f.adminPw
	rec["pending_password"] = next
	e.Value, _ = json.Marshal(rec)
	if err := f.b.Put(ctx, e); err != nil {
		t.Fatal(err)
	}
	f.sql(`ALTER ROLE ` + f.admin + ` WITH PASSWORD '` + next + `'`)
	f.e.Close() // as after a restart: no open connections

	f.creds(staging, "app", "tokA")
	e, _ = f.b.Get(ctx, key)
	rec = nil
	json.Unmarshal(e.Value, &rec)
	if rec["password"] != next || rec["pending_password"] != nil {
		t.Fatal("the pending password was not promoted")
	}
}
