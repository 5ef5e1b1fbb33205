package postgres_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wardhq/ward/internal/storage/postgres"
	"github.com/wardhq/ward/internal/vault"
)

// A real vault on PostgreSQL holding a canary secret: neither the canary
// nor the root token is anywhere in the database, read back by a SELECT of
// every row or by pg_dump, in the clear or hex or base64 encoded.
func TestDatabaseHoldsNoSecret(t *testing.T) {
	db, dsn := open(t, postgres.Options{})
	v, err := vault.Open(vault.Config{Storage: db, AuditPath: filepath.Join(t.TempDir(), "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	env, err := v.CreateEnv(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	const canary = "canary-7c1e5f0a-do-not-store-in-the-clear"
	data, _ := json.Marshal(map[string]string{"password": canary})
	if _, err := env.PutSecret(ctx, "payments/db", data, nil); err != nil {
		t.Fatal(err)
	}
	got, err := env.ReadSecret(ctx, "payments/db", 0, "canary-test")
	if err != nil || !bytes.Contains(got.Data, []byte(canary)) {
		t.Fatalf("the vault does not read back its canary: %v", err)
	}
	forbidden := map[string][]byte{"canary": []byte(canary), "root token": []byte(res.RootToken)}
	for name, s := range map[string][]byte{"canary": []byte(canary), "root token": []byte(res.RootToken)} { // and their encodings
		forbidden[name+" (hex)"] = []byte(hex.EncodeToString(s))
		forbidden[name+" (base64)"] = []byte(base64.StdEncoding.EncodeToString(s))
	}
	check := func(source string, dump []byte) {
		t.Helper()
		for name, f := range forbidden {
			if bytes.Contains(dump, f) {
				t.Errorf("%s holds the %s", source, name)
			}
		}
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT key, value FROM ward_entries")
	var all bytes.Buffer
	n := 0
	var k, val []byte
	if _, err := pgx.ForEachRow(rows, []any{&k, &val}, func() error {
		all.Write(k)
		all.Write(val)
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("only %d rows in ward_entries: the vault did not write through this store", n)
	}
	check("a SELECT of every row", all.Bytes())

	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Logf("pg_dump not found; checked the SELECT only")
		return
	}
	out, err := exec.Command(pgDump, "--data-only", "--dbname", dsn).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("ward_entries")) {
		t.Fatalf("pg_dump output does not hold the entries table:\n%.500s", out)
	}
	check("pg_dump", out)
}
