package postgres_test

import (
	"testing"

	"github.com/wardhq/ward/internal/storage/postgres"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://ward:pw@db:5433/vault?sslmode=disable", "postgres://ward@db:5433/vault (tls off)"},
		{"postgres://ward:pw@db/vault?sslmode=prefer", "postgres://ward@db:5432/vault (tls if offered, unverified)"},
		{"postgres://ward:pw@db/vault?sslmode=require", "postgres://ward@db:5432/vault (tls on, unverified)"},
		{"postgres://ward:pw@db/vault?sslmode=verify-ca", "postgres://ward@db:5432/vault (tls verified, CA only)"},
		{"postgres://ward:pw@db/vault?sslmode=verify-full", "postgres://ward@db:5432/vault (tls verified)"},
		{"host=a,b port=5432 user=ward password=pw dbname=vault sslmode=verify-full", "postgres://ward@a:5432,b:5432/vault (tls verified)"},
		{"postgres://ward:pw@db:notaport/vault", "postgres (unparseable connection string)"},
	} {
		if got := postgres.Describe(tc.dsn); got != tc.want {
			t.Errorf("Describe(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}
