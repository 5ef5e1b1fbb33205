package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
	"github.com/wardhq/ward/internal/storage/snapshot"
)

// migrateOpts are the flags of ward operator migrate.
type migrateOpts struct {
	from, to string // "postgres" or the path of a bolt file
	dsnFile  string
	format   format
}

func newMigrateCmd(g *globals) *cobra.Command {
	o := &migrateOpts{}
	cmd := &cobra.Command{
		Use:   "migrate --from FILE.db --to postgres | --from postgres --to FILE.db",
		Short: "Copy a stopped server's store between bolt and PostgreSQL, verified",
		Long: `Copy every entry of one store into another, empty, one: from a bolt file
(DATA/ward.db) into PostgreSQL, or back. The entries are copied as they are
(barrier ciphertext), so the new store unseals with the same unseal keys.
The copy is one transaction; then both stores are read again and their
entry counts and SHA-256 checksums must match.

Stop the ward servers on the source first: writes made during the copy
would be missed (and the checksums would then differ). A bolt file in use
by a server is refused.

The PostgreSQL connection string comes from WARD_STORAGE_DSN or
--storage-dsn-file, as for 'ward server --storage postgres'.`,
		Example: `  ward operator migrate --from /var/lib/ward/ward.db --to postgres    # WARD_STORAGE_DSN set
  ward operator migrate --from postgres --to /var/lib/ward-new/ward.db --storage-dsn-file /etc/ward/dsn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrate(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.from, "from", "", "the source: a bolt file (FILE.db) or postgres")
	cmd.Flags().StringVar(&o.to, "to", "", "the target, empty: a bolt file (FILE.db) or postgres")
	cmd.Flags().StringVar(&o.dsnFile, "storage-dsn-file", "", "file holding the PostgreSQL connection string (default: $"+dsnEnv+")")
	formatFlag(cmd, &o.format)
	return cmd
}

// migrateResult is what ward operator migrate reports.
type migrateResult struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Entries int    `json:"entries"`
	SHA256  string `json:"sha256"`
}

func runMigrate(ctx context.Context, g *globals, o *migrateOpts) error {
	if o.from == "" || o.to == "" {
		return usagef("give --from and --to: a bolt file (FILE.db) and postgres")
	}
	if o.from == o.to {
		return usagef("--from and --to are the same store")
	}
	if o.from == "postgres" && o.to == "postgres" {
		return usageHint(errors.New("cannot migrate from postgres to postgres"), "copy a database with 'ward operator snapshot save' and 'restore', or with pg_dump")
	}
	src, fromDesc, err := openEndpoint(ctx, g, o.from, o.dsnFile, true)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, toDesc, err := openEndpoint(ctx, g, o.to, o.dsnFile, false)
	if err != nil {
		return err
	}
	defer dst.Close()
	sum, err := copyStore(ctx, src, dst)
	if err != nil {
		return err
	}
	res := migrateResult{From: fromDesc, To: toDesc, Entries: sum.Entries, SHA256: sum.Hex()}
	if o.format == formatJSON {
		return printJSON(g.stdout, res)
	}
	fmt.Fprintf(g.stdout, "migrated %d entries from %s to %s\n", res.Entries, res.From, res.To)
	fmt.Fprintf(g.stdout, "verified: both stores hold %d entries with sha256 %s\n", res.Entries, res.SHA256)
	return nil
}

// openEndpoint opens "postgres" or a bolt file. A source bolt file must
// exist: opening a mistyped path would create an empty one.
func openEndpoint(ctx context.Context, g *globals, spec, dsnFile string, source bool) (storage.Backend, string, error) {
	if spec == "postgres" {
		s := storageOpts{kind: "postgres", dsnFile: dsnFile, getenv: g.getenv}
		return s.open(ctx, "")
	}
	if source {
		if _, err := os.Stat(spec); err != nil {
			return nil, "", withHint(err, "--from is a bolt file (DATA/ward.db of a stopped server) or postgres")
		}
	}
	db, err := bolt.Open(spec, bolt.Options{})
	if errors.Is(err, bolt.ErrInUse) {
		return nil, "", withHint(err, "stop the ward server using it first")
	}
	return db, spec, err
}

// copyStore writes every entry of src into dst (which must be empty) in one
// transaction, then checks that both now have the same count and checksum.
func copyStore(ctx context.Context, src, dst storage.Backend) (snapshot.Summary, error) {
	sd, ok1 := src.(storage.Dumper)
	dd, ok2 := dst.(storage.Dumper)
	if !ok1 || !ok2 {
		return snapshot.Summary{}, errors.New("this store cannot be read whole")
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := snapshot.Save(ctx, pw, sd)
		pw.CloseWithError(err)
	}()
	copied, err := snapshot.Restore(ctx, pr, dst)
	pr.CloseWithError(err)
	if errors.Is(err, snapshot.ErrNotEmpty) {
		return snapshot.Summary{}, withHint(err, "the target must be a new bolt file or a database without ward's entries")
	}
	if err != nil {
		return snapshot.Summary{}, err
	}
	srcSum, err := snapshot.Sum(ctx, sd)
	if err != nil {
		return snapshot.Summary{}, err
	}
	dstSum, err := snapshot.Sum(ctx, dd)
	if err != nil {
		return snapshot.Summary{}, err
	}
	if dstSum != copied {
		return snapshot.Summary{}, fmt.Errorf("verification failed: the target holds %v, the copy wrote %v", dstSum, copied)
	}
	if srcSum != copied {
		return snapshot.Summary{}, withHint(fmt.Errorf("verification failed: the source changed during the copy (now %v, copied %v)", srcSum, copied),
			"stop every ward server on the source, empty the target and run migrate again")
	}
	return copied, nil
}
