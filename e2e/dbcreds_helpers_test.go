package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/pgtest"
)

// pgFixture is a fresh database on the test PostgreSQL with an admin role
// for ward's database engine, whose password is a canary: it must never
// show up in a response, a log, the audit log or ward's data files.
type pgFixture struct {
	t       *testing.T
	dsn     string // a superuser's, to the fresh database
	host    string // host:port
	db      string
	admin   string
	adminPw string
}

func newPG(t *testing.T) *pgFixture {
	t.Helper()
	dsn := pgtest.Database(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	word := randHex(t, 5)
	p := &pgFixture{t: t, dsn: dsn, host: u.Host, db: strings.TrimPrefix(u.Path, "/"),
		admin: "ward_admin_" + word, adminPw: "canary-admin-pw-" + randHex(t, 8)}
	p.exec(fmt.Sprintf(`CREATE ROLE %s WITH SUPERUSER LOGIN PASSWORD '%s'`, p.admin, p.adminPw))
	p.exec(`CREATE TABLE items (id int PRIMARY KEY, name text)`)
	p.exec(`INSERT INTO items VALUES (1, 'one')`)
	t.Cleanup(func() {
		// Whatever a failed test left: the engine's users, then its admin.
		for _, r := range p.roles("v-") {
			p.execQuiet(fmt.Sprintf(`DROP OWNED BY %q`, r))
			p.execQuiet(fmt.Sprintf(`DROP ROLE IF EXISTS %q`, r))
		}
		p.execQuiet(`DROP OWNED BY ` + p.admin)
		p.execQuiet(`DROP ROLE IF EXISTS ` + p.admin)
	})
	return p
}

func randHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func (p *pgFixture) connect(dsn string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, dsn)
}

func (p *pgFixture) execErr(stmt string) error {
	c, err := p.connect(p.dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(context.Background(), stmt)
	return err
}

func (p *pgFixture) exec(stmt string) {
	p.t.Helper()
	if err := p.execErr(stmt); err != nil {
		p.t.Fatalf("%s: %v", stmt, err)
	}
}

func (p *pgFixture) execQuiet(stmt string) { p.execErr(stmt) }

// roles lists the roles in pg_roles whose name starts with prefix.
func (p *pgFixture) roles(prefix string) []string {
	p.t.Helper()
	c, err := p.connect(p.dsn)
	if err != nil {
		p.t.Fatal(err)
	}
	defer c.Close(context.Background())
	rows, err := c.Query(context.Background(), `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) ORDER BY 1`, prefix)
	if err != nil {
		p.t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		p.t.Fatal(err)
	}
	return names
}

// login connects as user and reads the items table.
func (p *pgFixture) login(user, password string) error {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: p.host, Path: "/" + p.db, RawQuery: "sslmode=disable"}
	c, err := p.connect(u.String())
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	var name string
	return c.QueryRow(context.Background(), `SELECT name FROM items WHERE id = 1`).Scan(&name)
}

// configure writes config "main" and role "app" in env through the Vault
// client, as `vault write` would: every value a string.
func (p *pgFixture) configure(c *vaultapi.Client, env string) {
	p.t.Helper()
	if _, err := c.Logical().Write(env+"/database/config/main", map[string]any{
		"plugin_name":    "postgresql-database-plugin",
		"connection_url": "postgres://{{username}}:{{password}}@" + p.host + "/" + p.db + "?sslmode=disable",
		"allowed_roles":  "app,broken",
		"username":       p.admin,
		"password":       p.adminPw,
	}); err != nil {
		p.t.Fatalf("write %s/database/config/main: %v", env, err)
	}
	if _, err := c.Logical().Write(env+"/database/roles/app", map[string]any{
		"db_name": "main",
		"creation_statements": []string{
			`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
			`GRANT SELECT ON items TO "{{name}}"`,
		},
		"default_ttl": "1h",
		"max_ttl":     "2h",
	}); err != nil {
		p.t.Fatalf("write %s/database/roles/app: %v", env, err)
	}
}

// statusOf is the HTTP status of a Vault client error, 0 for none.
func statusOf(err error) int {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// policyToken makes a token bound to env with a policy of rules, as root.
func policyToken(t *testing.T, root *vaultapi.Client, env, name, rules string) string {
	t.Helper()
	if _, err := root.Logical().Write("sys/policies/acl/"+name, map[string]any{"policy": rules}); err != nil {
		t.Fatalf("policy %s: %v", name, err)
	}
	sec, err := root.Logical().Write("auth/token/create", map[string]any{"env": env, "policies": []string{name}, "ttl": "1h"})
	if err != nil {
		t.Fatalf("token for %s: %v", name, err)
	}
	return sec.Auth.ClientToken
}
