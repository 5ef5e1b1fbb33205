package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Cluster is a private PostgreSQL server of one test, which the test may
// stop and start again: a database restarting (or failing over) under a
// running ward. Unlike the server of Database, which the tests of a
// binary share, it is the test's alone.
type Cluster struct {
	t testing.TB
	c *cluster
}

// NewCluster makes and starts a private server for t, stopped and removed
// when t ends. It skips (or fails, under WARD_TEST_PG_REQUIRED=1) as
// AdminDSN does when no PostgreSQL can be run here.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := startPrivate()
	if err != nil {
		if os.Getenv("WARD_TEST_PG_REQUIRED") == "1" {
			t.Fatalf("pgtest: PostgreSQL is required (WARD_TEST_PG_REQUIRED=1) but a private server could not be started: %v", err)
		}
		t.Skipf("pgtest: skipped, no private PostgreSQL server: %v", err)
	}
	t.Cleanup(c.stop)
	return &Cluster{t: t, c: c}
}

// DSN is a superuser's connection string to the server's postgres
// database.
func (c *Cluster) DSN() string { return c.c.adminDSN }

// Stop stops the server at once, as a crash or a failover would: open
// connections are cut and nothing is flushed first (pg_ctl -m immediate).
// Its data stays for Start.
func (c *Cluster) Stop() {
	c.t.Helper()
	if out, err := c.c.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(c.c.dir, "data")); err != nil {
		c.t.Fatalf("pgtest: pg_ctl stop: %v: %s", err, lastLines(out))
	}
}

// Start starts the stopped server again on the same port, after its crash
// recovery.
func (c *Cluster) Start() {
	c.t.Helper()
	if err := c.c.startServer(); err != nil {
		c.t.Fatal(fmt.Errorf("pgtest: %w", err))
	}
}
