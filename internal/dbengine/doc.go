// Package dbengine is ward's database secrets engine: it makes a
// PostgreSQL user for each request, valid for the life of a lease, and
// drops it when the lease ends. Its shapes are those of Vault's database
// engine, one per environment:
//
//	config/NAME       how to reach a database as an admin (ConnConfig)
//	roles/NAME        what a generated user may do, and for how long (Role)
//	creds/NAME        a new user and password, with a lease (Creds)
//	rotate-root/NAME  a new admin password that only ward knows (RotateRoot)
//
// A vault builds one Engine over its barrier and lease manager; the engine
// registers itself as the Revoker of leases of kind "database":
//
//	e := dbengine.New(dbengine.Config{Storage: barrier, Leases: leases})
//	e.WriteConfig(ctx, env, "main", dbengine.ConnConfig{
//		PluginName: "postgresql-database-plugin",
//		ConnectionURL: "postgres://{{username}}:{{password}}@db:5432/app",
//		AllowedRoles: []string{"app"}, Username: "ward", Password: adminPassword})
//	e.WriteRole(ctx, env, "app", dbengine.Role{DBName: "main", CreationStatements: ...})
//	c, err := e.Creds(ctx, env, "app", dbengine.Requester{Token: accessor})
//
// # Users and passwords
//
// A generated user is named v-ENV-ROLE-RANDOM (v-staging-app-7f3kq9x2mz),
// so a DBA can tell where it came from; the name uses only lowercase
// letters, digits, '-' and '_' and is at most 63 bytes, PostgreSQL's
// limit. Statements are templates: {{name}} is the user name (write it in
// double quotes, "{{name}}", as the name holds '-'), {{password}} the
// password (inside single quotes) or, with the config's
// password_authentication set to scram-sha-256, its SCRAM-SHA-256 verifier
// computed by ward, so that the password never reaches the database or its
// statement log; {{expiration}} is the lease's expiry as a timestamp with
// time zone. A password is drawn uniformly from the config's
// charset (default letters and digits) at its length (default 32); the
// charset cannot hold quotes or backslashes, so a password never breaks out
// of its literal.
//
// The admin password is stored through the barrier, sealed with the
// environment's key; ReadConfig never returns it. Generated passwords are
// returned once by Creds and never stored. Errors and lease records never
// hold a password: errors from PostgreSQL pass through Redact first.
//
// # Faults
//
// Creds connects before it issues a lease: with the database down it
// returns an *UnavailableError naming the config and nothing is left. The
// creation statements run in one transaction, so a statement that fails
// (a *StatementError) leaves no half-made user, and its lease is deleted.
// A revocation that fails is kept and retried by the lease manager.
// Revocation is idempotent: a user already gone from pg_roles is revoked.
package dbengine
