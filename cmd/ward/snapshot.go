package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/snapshot"
)

// snapshotOpts are the flags of ward operator snapshot.
type snapshotOpts struct {
	store  storageOpts
	data   string
	format format
}

func newSnapshotCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use: "snapshot",
		Example: `  ward operator snapshot save ward.snap
  ward operator snapshot verify ward.snap
  ward operator snapshot restore --data /var/lib/ward-new ward.snap`,
		Short: "Save the whole store to a checksummed file, verify one, restore one into a new store",
		Long: `A snapshot is every entry of the store, read at one point in time while
writes go on, in one file with an entry count and a SHA-256 checksum. The
entries are barrier ciphertext: the file holds no secret in the clear, and
a store restored from it unseals with the same unseal keys.

save asks the running server at WARD_ADDR (a token with read on
sys/ward/snapshot, such as root), whatever its storage; with --storage it
reads the store itself instead: a PostgreSQL database (servers may keep
writing) or the bolt file of a stopped server (--data DIR).

restore writes a snapshot into a new, empty store, with no server running
on it; then start 'ward server' on that store and unseal it with the keys
of the server the snapshot came from.`,
	}
	cmd.AddCommand(newSnapshotSaveCmd(g), newSnapshotRestoreCmd(g), newSnapshotVerifyCmd(g))
	return cmd
}

func newSnapshotSaveCmd(g *globals) *cobra.Command {
	o := &snapshotOpts{}
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Write a snapshot of the store to FILE (0600; FILE must not exist)",
		Example: `  ward operator snapshot save ward-2026-01-31.snap
  WARD_STORAGE_DSN=... ward operator snapshot save --storage postgres ward.snap
  ward operator snapshot save --storage bolt --data /var/lib/ward ward.snap   # server stopped`,
		Args: exactArgs(1, "name the snapshot file to write"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSnapshotSave(cmd.Context(), g, o, args[0], cmd.Flags().Changed("storage"))
		},
	}
	o.flags(cmd, g)
	return cmd
}

func newSnapshotRestoreCmd(g *globals) *cobra.Command {
	o := &snapshotOpts{}
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Write the snapshot in FILE into a new, empty store",
		Example: `  ward operator snapshot restore --data /var/lib/ward-new ward.snap
  WARD_STORAGE_DSN=... ward operator snapshot restore --storage postgres ward.snap`,
		Args: exactArgs(1, "name the snapshot file to restore"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSnapshotRestore(cmd.Context(), g, o, args[0])
		},
	}
	o.flags(cmd, g)
	return cmd
}

func newSnapshotVerifyCmd(g *globals) *cobra.Command {
	var out format
	cmd := &cobra.Command{
		Use:     "verify FILE",
		Short:   "Check a snapshot file's checksum and count its entries",
		Example: `  ward operator snapshot verify ward.snap`,
		Args:    exactArgs(1, "name the snapshot file to check"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			sum, err := snapshot.Read(f, func(*storage.Entry) error { return nil })
			if err != nil {
				return err
			}
			return printSummary(g, out, "snapshot "+args[0]+" is intact", args[0], sum)
		},
	}
	formatFlag(cmd, &out)
	return cmd
}

func (o *snapshotOpts) flags(cmd *cobra.Command, g *globals) {
	o.store.flags(cmd.Flags(), g.getenv)
	cmd.Flags().StringVar(&o.data, "data", "", "the data directory of a bolt store (--storage bolt)")
	formatFlag(cmd, &o.format)
}

func printSummary(g *globals, f format, headline, file string, sum snapshot.Summary) error {
	if f == formatJSON {
		return printJSON(g.stdout, map[string]any{"file": file, "entries": sum.Entries, "sha256": sum.Hex()})
	}
	fmt.Fprintf(g.stdout, "%s: %d entries, sha256 %s\n", headline, sum.Entries, sum.Hex())
	return nil
}

func runSnapshotSave(ctx context.Context, g *globals, o *snapshotOpts, file string, direct bool) error {
	if err := o.store.check(); err != nil {
		return err
	}
	if _, err := os.Stat(file); err == nil {
		return usageHint(fmt.Errorf("%s exists", file), "snapshots are never overwritten: name a new file")
	}
	var sum snapshot.Summary
	err := writeFileAtomic(file, func(w io.Writer) error {
		var err error
		if direct {
			sum, err = saveDirect(ctx, o, w)
		} else {
			sum, err = saveFromServer(ctx, g, w)
		}
		return err
	})
	if err != nil {
		return err
	}
	return printSummary(g, o.format, "snapshot written to "+file, file, sum)
}

// saveDirect snapshots the store itself.
func saveDirect(ctx context.Context, o *snapshotOpts, w io.Writer) (snapshot.Summary, error) {
	b, _, err := o.store.open(ctx, o.data)
	if err != nil {
		return snapshot.Summary{}, err
	}
	defer b.Close()
	d, ok := b.(storage.Dumper)
	if !ok {
		return snapshot.Summary{}, errors.New("this store cannot be read whole")
	}
	return snapshot.Save(ctx, w, d)
}

// saveFromServer asks the running server for a snapshot and checks it
// before writing it.
func saveFromServer(ctx context.Context, g *globals, w io.Writer) (snapshot.Summary, error) {
	c, err := g.client()
	if err != nil {
		return snapshot.Summary{}, err
	}
	var out struct {
		Data struct {
			Snapshot string `json:"snapshot"`
			SHA256   string `json:"sha256"`
		} `json:"data"`
	}
	if err := c.Do(ctx, "GET", "sys/ward/snapshot", nil, &out); err != nil {
		return snapshot.Summary{}, g.apiError(err)
	}
	raw, err := base64.StdEncoding.DecodeString(out.Data.Snapshot)
	if err != nil {
		return snapshot.Summary{}, fmt.Errorf("the server's snapshot is not base64: %w", err)
	}
	sum, err := snapshot.Read(bytes.NewReader(raw), func(*storage.Entry) error { return nil })
	if err != nil {
		return snapshot.Summary{}, fmt.Errorf("the server's snapshot: %w", err)
	}
	if sum.Hex() != out.Data.SHA256 {
		return snapshot.Summary{}, fmt.Errorf("the server's snapshot has checksum %s, the server said %s", sum.Hex(), out.Data.SHA256)
	}
	_, err = w.Write(raw)
	return sum, err
}

func runSnapshotRestore(ctx context.Context, g *globals, o *snapshotOpts, file string) error {
	if err := o.store.check(); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	b, where, err := o.store.open(ctx, o.data)
	if err != nil {
		return err
	}
	defer b.Close()
	sum, err := snapshot.Restore(ctx, f, b)
	if errors.Is(err, snapshot.ErrNotEmpty) {
		return withHint(err, "restore into a new --data directory or an empty database; a snapshot never overwrites a store")
	}
	if err != nil {
		return err
	}
	return printSummary(g, o.format, "restored "+file+" into "+where, file, sum)
}

// writeFileAtomic writes a new file through fn: into a temporary file
// (0600) beside it, synced and renamed into place only when fn succeeded.
func writeFileAtomic(path string, fn func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
