package dbengine

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ACLRevokes is aclRevokes for tests.
var ACLRevokes = aclRevokes

// ExecCreation runs the creation statements stmts for user name on conn as
// Creds does, calling beforeCommit just before the COMMIT.
func ExecCreation(ctx context.Context, conn *pgxpool.Conn, name string, stmts []string, beforeCommit func() error) error {
	return execAll(ctx, conn, "app", "creation", stmts, vars{name: name, password: "pw-" + name}, beforeCommit)
}
