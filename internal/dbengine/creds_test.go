package dbengine_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/internal/dbengine"
	"github.com/wardhq/ward/internal/lease"
)

func TestCredsLogInDoWhatIsGrantedAndDieAtRevoke(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	c := f.creds(staging, "app", "tokA")
	if !regexp.MustCompile(`^v-staging-app-[a-z0-9]{10}$`).MatchString(c.Username) {
		t.Fatalf("user name %q: want v-staging-app- and 10 random characters", c.Username)
	}
	if len(c.Password) != dbengine.DefaultPasswordLength {
		t.Fatalf("password of %d characters, want %d", len(c.Password), dbengine.DefaultPasswordLength)
	}
	if !strings.HasPrefix(c.Lease.ID, "staging/database/creds/app/") || c.Lease.TTL != time.Hour || !c.Lease.Renewable {
		t.Fatalf("lease %+v", c.Lease)
	}

	conn, err := f.login(c.Username, c.Password)
	if err != nil {
		t.Fatalf("issued credential does not log in: %v", err)
	}
	var name string
	if err := conn.QueryRow(ctx, `SELECT name FROM items WHERE id = 1`).Scan(&name); err != nil || name != "one" {
		t.Fatalf("SELECT granted by the role: %q, %v", name, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO items VALUES (2, 'two')`); sqlState(err) != "42501" {
		t.Fatalf("INSERT, not granted: %v, want insufficient_privilege (42501)", err)
	}
	if _, err := conn.Exec(ctx, `CREATE ROLE sneaky`); sqlState(err) != "42501" {
		t.Fatalf("CREATE ROLE, not granted: %v, want 42501", err)
	}
	conn.Close(ctx)
	var until time.Time
	qc, _ := f.login(f.admin, f.adminPw)
	defer qc.Close(ctx)
	if err := qc.QueryRow(ctx, `SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1`, c.Username).Scan(&until); err != nil || !until.Equal(c.Lease.ExpiresAt) {
		t.Fatalf("VALID UNTIL %v (%v), want the lease's expiry %v", until, err, c.Lease.ExpiresAt)
	}

	if err := f.leases.Revoke(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, c.Lease.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if f.roleExists(c.Username) {
		t.Fatal("user still in pg_roles after revoke")
	}
	if conn, err := f.login(c.Username, c.Password); err == nil {
		conn.Close(ctx)
		t.Fatal("a revoked credential still logs in")
	} else if s := sqlState(err); s != "28P01" && s != "28000" {
		t.Fatalf("login after revoke: %v, want an authentication failure", err)
	}
}

func TestRevokeEndsOpenSessions(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	c := f.creds(staging, "app", "tokA")
	conn, err := f.login(c.Username, c.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := f.leases.Revoke(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, c.Lease.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&n); err == nil {
		t.Fatal("a session of a revoked user still runs queries")
	}
}

func TestExpiryDropsTheUser(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	c := f.creds(staging, "app", "tokA")
	f.clock.Advance(59 * time.Minute)
	f.leases.Tick(ctx)
	if !f.roleExists(c.Username) {
		t.Fatal("user dropped before its lease expired")
	}
	f.clock.Advance(time.Minute)
	if n, err := f.leases.Tick(ctx); n != 1 || err != nil {
		t.Fatalf("Tick at expiry = %d, %v", n, err)
	}
	if f.roleExists(c.Username) {
		t.Fatal("user still in pg_roles after its lease expired")
	}
	if _, err := f.login(c.Username, c.Password); err == nil {
		t.Fatal("an expired credential still logs in")
	}
}

func TestRenewMovesValidUntil(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	c := f.creds(staging, "app", "tokA")
	f.clock.Advance(30 * time.Minute)
	l, _, err := f.leases.Renew(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, c.Lease.ID, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !l.ExpiresAt.Equal(t0.Add(150 * time.Minute)) {
		t.Fatalf("renewed to %v", l.ExpiresAt)
	}
	var until time.Time
	conn, _ := f.login(f.admin, f.adminPw)
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1`, c.Username).Scan(&until); err != nil || !until.Equal(l.ExpiresAt) {
		t.Fatalf("VALID UNTIL %v (%v), want the renewed expiry %v", until, err, l.ExpiresAt)
	}
	// Renewal past max TTL (4h from issue): capped, with a warning.
	l, warnings, err := f.leases.Renew(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, c.Lease.ID, 10*time.Hour)
	if err != nil || !l.ExpiresAt.Equal(t0.Add(4*time.Hour)) || len(warnings) != 1 {
		t.Fatalf("renew past max TTL: %v, %q, %v", l.ExpiresAt, warnings, err)
	}
}

func TestDatabaseDownLeavesNothing(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	cfg := f.config()
	cfg.ConnectionURL = deadURL(t)
	no := false
	cfg.VerifyConnection = &no
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	_, err := f.e.Creds(ctx, staging, "app", dbengine.Requester{Token: "tokA"})
	var ue *dbengine.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, dbengine.ErrUnavailable) || ue.Config != "main" || ue.Env != "staging" {
		t.Fatalf("Creds with the database down: %v", err)
	}
	if strings.Contains(err.Error(), f.adminPw) || !strings.Contains(err.Error(), `"main"`) {
		t.Fatalf("error %q: want the config named and no password", err)
	}
	if n, _ := f.leases.Counts(); n != 0 {
		t.Fatalf("%d leases after a failed Creds", n)
	}
	if keys, _ := f.mem.List(ctx, "env/"+staging.ID+"/leases/"); len(keys) != 0 {
		t.Fatalf("lease records after a failed Creds: %v", keys)
	}
	// WriteConfig verifies the connection by default.
	cfg.VerifyConnection = nil
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); !errors.As(err, &ue) {
		t.Fatalf("WriteConfig of an unreachable database: %v", err)
	}
}

func TestCreationStatementErrorLeavesNothing(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	bad := appRole
	bad.CreationStatements = []string{
		`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`,
		`GRANT SELECT ON no_such_table TO "{{name}}"`,
	}
	if err := f.e.WriteRole(ctx, staging, "bad", bad); err != nil {
		t.Fatal(err)
	}
	_, err := f.e.Creds(ctx, staging, "bad", dbengine.Requester{Token: "tokA"})
	var se *dbengine.StatementError
	if !errors.As(err, &se) || se.Index != 2 || se.Which != "creation" || se.Role != "bad" || se.Code != "42P01" {
		t.Fatalf("Creds with a failing statement: %v", err)
	}
	if n := f.rolesLike("v-staging-bad-"); n != 0 {
		t.Fatalf("%d half-made users left", n)
	}
	if n, _ := f.leases.Counts(); n != 0 {
		t.Fatalf("%d leases left", n)
	}
	// A statement whose error would quote the password: redacted.
	leaky := appRole
	leaky.CreationStatements = []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, `SELECT '{{password}}'::int`}
	if err := f.e.WriteRole(ctx, staging, "bad", leaky); err != nil {
		t.Fatal(err)
	}
	_, err = f.e.Creds(ctx, staging, "bad", dbengine.Requester{Token: "tokA"})
	if !errors.As(err, &se) || !strings.Contains(se.Message, "[redacted]") || strings.Contains(f.logs.String(), "::int") {
		t.Fatalf("syntax error near the password: %v; want it redacted", err)
	}
}

func TestRoleChecks(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	r := appRole
	r.DBName = "nope"
	var fe *dbengine.FieldError
	if err := f.e.WriteRole(ctx, staging, "app", r); !errors.As(err, &fe) || fe.Field != "db_name" {
		t.Fatalf("role naming an unknown config: %v", err)
	}
	if err := f.e.WriteRole(ctx, staging, "other", appRole); !errors.Is(err, dbengine.ErrRoleNotAllowed) {
		t.Fatalf("role not in allowed_roles: %v", err)
	}
	// The other environment has no config "main": roles are per environment.
	if err := f.e.WriteRole(ctx, prod, "app", appRole); !errors.As(err, &fe) {
		t.Fatalf("role in prod naming staging's config: %v", err)
	}
	if _, err := f.e.Creds(ctx, prod, "app", dbengine.Requester{Token: "tokA"}); !errors.Is(err, dbengine.ErrNotFound) {
		t.Fatalf("prod creds of a staging role: %v", err)
	}
	// A config that stops allowing the role refuses its creds.
	cfg := f.config()
	cfg.AllowedRoles = []string{"ro"}
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Creds(ctx, staging, "app", dbengine.Requester{Token: "tokA"}); !errors.Is(err, dbengine.ErrRoleNotAllowed) {
		t.Fatalf("creds of a role no longer allowed: %v", err)
	}
	if err := f.e.DeleteConfig(ctx, staging, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Creds(ctx, staging, "app", dbengine.Requester{Token: "tokA"}); !errors.Is(err, dbengine.ErrNotFound) || !strings.Contains(err.Error(), `config "main"`) {
		t.Fatalf("creds of a role whose config is gone: %v", err)
	}
	for name, mod := range map[string]func(*dbengine.Role){
		"no statements":  func(r *dbengine.Role) { r.CreationStatements = nil },
		"no {{name}}":    func(r *dbengine.Role) { r.CreationStatements = []string{"SELECT 1"} },
		"empty stmt":     func(r *dbengine.Role) { r.CreationStatements = append(r.CreationStatements, " ") },
		"negative ttl":   func(r *dbengine.Role) { r.DefaultTTL = -time.Second },
		"bad db_name":    func(r *dbengine.Role) { r.DBName = "Main DB" },
		"NUL statement":  func(r *dbengine.Role) { r.RevocationStatements = []string{"DROP\x00"} },
		"too many stmts": func(r *dbengine.Role) { r.RenewStatements = make([]string, 65) },
	} {
		r := appRole
		mod(&r)
		if err := f.e.WriteRole(ctx, staging, "ro", r); !errors.Is(err, dbengine.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := f.e.WriteRole(ctx, staging, "Bad Name", appRole); !errors.Is(err, dbengine.ErrInvalid) {
		t.Errorf("bad role name: %v", err)
	}
}

func TestTTLAboveMaxIsCapped(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	r := appRole
	r.DefaultTTL, r.MaxTTL = 3*time.Hour, time.Hour
	if err := f.e.WriteRole(ctx, staging, "ro", r); err != nil {
		t.Fatal(err)
	}
	c := f.creds(staging, "ro", "tokA")
	if c.Lease.TTL != time.Hour || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "max_ttl") {
		t.Fatalf("TTL %s, warnings %q: want capped at 1h with a warning", c.Lease.TTL, c.Warnings)
	}
}

func TestQuotaMakesNoUser(t *testing.T) {
	f := newFixture(t, func(c *lease.Config) { c.MaxPerIdentity = 2 })
	f.setup(staging)
	f.creds(staging, "app", "tokA")
	f.creds(staging, "app", "tokA")
	_, err := f.e.Creds(ctx, staging, "app", dbengine.Requester{Token: "tokA", Identity: "ci:tokA"})
	var q *lease.QuotaError
	if !errors.As(err, &q) || q.Scope != "identity" {
		t.Fatalf("3rd creds of an identity with quota 2: %v", err)
	}
	if n := f.rolesLike("v-staging-app-"); n != 2 {
		t.Fatalf("%d users in pg_roles, want 2", n)
	}
}

func TestRevocationRetriedUntilTheDatabaseIsBack(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	c := f.creds(staging, "app", "tokA")
	good := f.config()
	down := good
	down.ConnectionURL = deadURL(t)
	no := false
	down.VerifyConnection = &no
	if err := f.e.WriteConfig(ctx, staging, "main", down); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if _, err := f.leases.Tick(ctx); !errors.Is(err, dbengine.ErrUnavailable) {
		t.Fatalf("expiry with the database down: %v", err)
	}
	failed, _ := f.leases.Failed(ctx, lease.Caller{Admin: true})
	if len(failed) != 1 || failed[0].ID != c.Lease.ID || !strings.Contains(failed[0].Failure.LastError, "unreachable") {
		t.Fatalf("Failed = %+v", failed)
	}
	if strings.Contains(failed[0].Failure.LastError, f.adminPw) || strings.Contains(f.logs.String(), f.adminPw) {
		t.Fatal("the admin password is in a stored error or a log line")
	}
	if !f.roleExists(c.Username) {
		t.Fatal("the user is gone although the database was down")
	}
	if err := f.e.WriteConfig(ctx, staging, "main", good); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	if n, err := f.leases.Tick(ctx); n != 1 || err != nil {
		t.Fatalf("retry once the database is back = %d, %v", n, err)
	}
	if f.roleExists(c.Username) {
		t.Fatal("user still there after the retried revocation")
	}
}

func TestRevokeIsIdempotent(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	c := f.creds(staging, "app", "tokA")
	f.sql(`DROP OWNED BY "` + c.Username + `"; DROP ROLE "` + c.Username + `"`) // a DBA got there first
	if err := f.leases.Revoke(ctx, lease.Caller{Token: "tokA", EnvID: staging.ID}, c.Lease.ID); err != nil {
		t.Fatalf("revoking a user already gone: %v", err)
	}
}

func TestRevokePrefixDropsEveryUser(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	for range 20 {
		f.creds(staging, "app", "tokA")
	}
	n, err := f.leases.RevokePrefix(ctx, lease.Caller{EnvID: staging.ID, Admin: true}, "staging/database/creds/app")
	if err != nil || n != 20 {
		t.Fatalf("RevokePrefix = %d, %v", n, err)
	}
	if left := f.rolesLike("v-staging-app-"); left != 0 {
		t.Fatalf("%d users left", left)
	}
}

func TestUserNames(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		n, err := dbengine.UserName(randReader{}, strings.Repeat("e", 32), strings.Repeat("r", 64))
		if err != nil {
			t.Fatal(err)
		}
		if len(n) > 63 || !regexp.MustCompile(`^v-e{16}-r{24}-[a-z0-9]{10}$`).MatchString(n) || seen[n] {
			t.Fatalf("user name %q: too long, malformed or repeated", n)
		}
		seen[n] = true
	}
}

// TestConcurrentGrantsOnOneTable: GRANTs on one table from many
// transactions race on its catalog row; the engine runs the loser again.
func TestConcurrentGrantsOnOneTable(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.MaxOpenConnections = 16
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.e.WriteRole(ctx, staging, "app", appRole); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 48)
	for w := range 16 {
		go func() {
			for range 3 {
				_, err := f.e.Creds(ctx, staging, "app", dbengine.Requester{Token: "tok" + string(rune('a'+w))})
				errs <- err
			}
		}()
	}
	for range 48 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Creds: %v", err)
		}
	}
	if n := f.rolesLike("v-staging-app-"); n != 48 {
		t.Fatalf("%d users, want 48", n)
	}
	n, err := f.leases.RevokePrefix(ctx, lease.Caller{Admin: true}, "staging/database/creds/app")
	if err != nil || n != 48 || f.rolesLike("v-staging-app-") != 0 {
		t.Fatalf("RevokePrefix = %d, %v; %d users left", n, err, f.rolesLike("v-staging-app-"))
	}
}

// TestSCRAMVerifier: with password_authentication scram-sha-256 the
// database gets only the verifier ward computed, and the password logs in.
func TestSCRAMVerifier(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.PasswordAuthentication = dbengine.PasswordAuthSCRAM
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.e.WriteRole(ctx, staging, "app", appRole); err != nil {
		t.Fatal(err)
	}
	c := f.creds(staging, "app", "tokA")
	conn, err := f.login(c.Username, c.Password)
	if err != nil {
		t.Fatalf("login with the password whose verifier ward computed: %v", err)
	}
	conn.Close(ctx)
	if _, err := f.login(c.Username, c.Password+"x"); err == nil {
		t.Fatal("a wrong password logs in")
	}
	admin, _ := f.login(f.admin, f.adminPw)
	defer admin.Close(ctx)
	var stored string
	if err := admin.QueryRow(ctx, `SELECT rolpassword FROM pg_authid WHERE rolname = $1`, c.Username).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$`).MatchString(stored) {
		t.Fatalf("stored verifier %q", stored)
	}
	if err := f.e.RotateRoot(ctx, staging, "main"); err != nil {
		t.Fatalf("rotate-root with SCRAM: %v", err)
	}
	f.creds(staging, "app", "tokA") // the rotated admin password works
	cfg.PasswordAuthentication = "md5"
	cfg.Password = ""
	var fe *dbengine.FieldError
	if err := f.e.WriteConfig(ctx, staging, "main", cfg); !errors.As(err, &fe) || fe.Field != "password_authentication" {
		t.Fatalf("password_authentication md5: %v", err)
	}
}

// TestBatchRevocationMixedAndFailing: one revoke-prefix over users with the
// default revocation and users with their own; a statement that fails
// for one role sends the batch back to one-by-one, so only that role's
// leases stay, as failed.
func TestBatchRevocationMixedAndFailing(t *testing.T) {
	f := newFixture(t)
	f.setup(staging)
	ro := appRole
	ro.RevocationStatements = []string{`REVOKE ALL ON items FROM "{{name}}"`, `DROP ROLE "{{name}}"`}
	if err := f.e.WriteRole(ctx, staging, "ro", ro); err != nil {
		t.Fatal(err)
	}
	bad := appRole
	bad.RevocationStatements = []string{`DROP TABLE no_such_table`}
	if err := f.e.WriteRole(ctx, staging, "bad", bad); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"app", "app", "ro", "ro", "bad"} {
		f.creds(staging, role, "tokA")
	}
	n, err := f.leases.RevokePrefix(ctx, lease.Caller{Admin: true}, "staging/database/creds")
	var rerr *lease.RevokeError
	if n != 4 || !errors.As(err, &rerr) || rerr.Failed != 1 || !strings.Contains(rerr.First, "/bad/") {
		t.Fatalf("RevokePrefix = %d, %v; want 4 revoked and role bad's lease failed", n, err)
	}
	if f.rolesLike("v-staging-app-") != 0 || f.rolesLike("v-staging-ro-") != 0 || f.rolesLike("v-staging-bad-") != 1 {
		t.Fatal("the wrong users are left")
	}
}
