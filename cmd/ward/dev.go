package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/vault"
)

// devEnvs are the environments a new dev server starts with.
var devEnvs = []string{"dev", "staging", "prod"}

// devKeyFile keeps a dev server's single unseal key beside its data, so that
// `ward dev --data DIR` can restart on the same store. Never do this in
// production: it is why dev is dev.
const devKeyFile = "dev-unseal-key"

// devRootTokenFile keeps the dev server's root token beside its unseal key
// (which gives as much power), so that a 'ward login' that replaces
// ~/.ward/token does not lose it.
const devRootTokenFile = "dev-root-token"

func newDevCmd(g *globals) *cobra.Command {
	o := &serveOpts{}
	var cpuProfile, seed string
	cmd := &cobra.Command{
		Use:   "dev [--listen ADDR] [--data DIR] [--seed DIR]",
		Short: "Run a complete ward server on this machine, initialised and unsealed",
		Long: `Run a complete ward server for development: an embedded store in a new
temporary directory (or --data), initialised with one unseal key, unsealed,
with the environments dev, staging and prod, and the root token written to
~/.ward/token (0600) so that ward's other commands find it.

A new store is seeded from a ward/ directory (--seed): applied as 'ward
apply' would (environments, policies, types, secrets' metadata), with a
synthetic value of its type (see 'ward synth') in each secret the directory
declares in dev, marked synthetic=true. Other environments keep the
metadata only: their values are yours to write. Run from a checkout of
ward's repository, the default is its example, examples/ward; elsewhere,
or with --seed '', the store starts empty. A store reopened with --data is
never seeded again.

The dashboard is at /ui/: sign in with "Token", paste the root token
(cat ~/.ward/token) and pick an environment.

The unseal key is kept in the data directory, so a dev server is only as safe
as that directory. Use 'ward server' for anything real.

Without --data, the temporary directory (store, audit log and unseal key) is
removed when ward dev stops: on Ctrl-C, SIGTERM or an error. With --data it
is kept, and a later 'ward dev --data DIR' starts again on the same store.
(A process killed with SIGKILL cannot clean up: its directory stays in $TMPDIR.)`,
		Example: `  ward dev                          # a throwaway server; its data goes on exit
  ward dev --data ./.ward-dev       # keep the data between runs
  ward dev --seed ''                # start empty, even in ward's repository
  ward dev --seed ./deploy/ward     # seeded from your own ward/ directory
  ward dev --listen 127.0.0.1:8300 &  export WARD_ADDR=http://127.0.0.1:8300`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			dir, err := devSeedDir(seed, cmd.Flags().Changed("seed"))
			if err != nil {
				return err
			}
			return runDev(cmd.Context(), g, o, dir)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8200", "address to listen on (loopback only without TLS)")
	cmd.Flags().StringVar(&o.data, "data", "", "data directory (default: a new temporary directory)")
	cmd.Flags().StringVar(&seed, "seed", devSeedDefault, "seed a new store from this ward/ directory ('' for none; the default only when it exists)")
	cmd.Flags().StringVar(&o.auditLog, "audit-log", "", "the audit log file (default: DATA/audit.log)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	cmd.Flags().DurationVar(&o.rotateInterval, "rotate-interval", vault.DefaultRotateInterval, "how often due secrets are rotated, and the first wait before a failed rotation is retried")
	o.identity.flags(cmd.Flags())
	o.watch.flags(cmd.Flags(), g.getenv)
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the server to this file until it stops (for bench/kvload)")
	cmd.Flags().MarkHidden("cpuprofile")
	return cmd
}

func runDev(ctx context.Context, g *globals, o *serveOpts, seedDir string) error {
	logger, ln, err := o.start(g)
	if err != nil {
		return err
	}
	temp := o.data == ""
	if temp {
		if o.data, err = os.MkdirTemp(g.getenv("TMPDIR"), "ward-dev-"); err != nil {
			ln.Close()
			return err
		}
		defer removeDevData(g, o.data)
	}
	v, err := openVault(o, logger)
	if err != nil {
		ln.Close()
		return err
	}
	root, err := devUnseal(ctx, v, o.data)
	if err != nil {
		ln.Close()
		v.Close()
		return err
	}
	addr := addrURL(o.scheme(), ln)
	tokenNote := "root token unchanged"
	if kept := filepath.Join(o.data, devRootTokenFile); fileExists(kept) {
		tokenNote += " (kept in " + kept + ")"
	}
	if root != "" {
		if err := g.writeTokenFile(root); err != nil {
			ln.Close()
			v.Close()
			return err
		}
		tokenNote = "root token written to " + g.displayPath(g.tokenFile()) + " (0600)"
	}
	var seeded *devSeedResult
	if root != "" && seedDir != "" {
		if seeded, err = devSeed(ctx, v, seedDir); err != nil {
			ln.Close()
			v.Close()
			return err
		}
	}
	envs, _ := v.Envs()
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	fmt.Fprintf(g.stderr, "ward: dev server on %s (data in %s, unsealed)\n", addr, o.data)
	if temp {
		fmt.Fprintf(g.stderr, "ward: the data directory is temporary: it is removed when ward dev stops (give --data DIR to keep it)\n")
	}
	fmt.Fprintf(g.stderr, "ward: environments %s\n", strings.Join(names, ", "))
	if seeded != nil {
		fmt.Fprintf(g.stderr, "ward: seeded from %s: %s applied; synthetic values in %s\n", seeded.Dir, plural(seeded.Changes, "change"), plural(len(seeded.Written), "secret"))
		fmt.Fprintf(g.stderr, "hint: give --seed '' to start empty\n")
	}
	fmt.Fprintf(g.stderr, "ward: dashboard at %s/ui/: sign in with Token, paste the root token (cat %s) and pick an environment\n", addr, g.displayPath(g.tokenFile()))
	fmt.Fprintf(g.stderr, "ward: %s; export WARD_ADDR=%s\n", tokenNote, addr)
	return serve(ctx, o, v, ln, logger)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// removeDevData removes a temporary data directory, unseal key included.
func removeDevData(g *globals, dir string) {
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(g.stderr, "ward: warning: could not remove the dev data directory %s: %v\n", dir, err)
		fmt.Fprintf(g.stderr, "hint: remove it yourself: it holds the unseal key\n")
		return
	}
	fmt.Fprintf(g.stderr, "ward: removed the temporary data directory %s\n", dir)
}

// devUnseal initialises a new dev store, or unseals an existing one with the
// key kept beside it. It returns the root token when it made one.
func devUnseal(ctx context.Context, v *vault.Vault, dir string) (string, error) {
	ok, err := v.Initialized(ctx)
	if err != nil {
		return "", err
	}
	keyPath := filepath.Join(dir, devKeyFile)
	if ok {
		b, err := os.ReadFile(keyPath)
		if err != nil {
			return "", withHint(fmt.Errorf("%s holds a store that ward dev did not make (no %s)", dir, devKeyFile), "run 'ward server --data "+dir+"' and unseal it, or give ward dev a new --data")
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return "", fmt.Errorf("%s is damaged", keyPath)
		}
		if _, err := v.Unseal(ctx, key); err != nil {
			return "", err
		}
		return "", nil
	}
	res, err := v.Init(ctx, 1, 1)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(keyPath, []byte(hex.EncodeToString(res.Shares[0])+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := writePrivateFile(filepath.Join(dir, devRootTokenFile), []byte(res.RootToken+"\n")); err != nil {
		return "", err
	}
	if _, err := v.Unseal(ctx, res.Shares[0]); err != nil {
		return "", err
	}
	for _, name := range devEnvs {
		if _, err := v.CreateEnv(ctx, name); err != nil && !errors.Is(err, vault.ErrEnvExists) {
			return "", err
		}
	}
	return res.RootToken, nil
}

// writeTokenFile stores a token for later commands, 0600 in a 0700 directory.
func (g *globals) writeTokenFile(token string) error {
	path := g.tokenFile()
	if path == "" {
		return errors.New("cannot find a home directory for ~/.ward/token; set WARD_CONFIG_DIR")
	}
	return writePrivateFile(path, []byte(token+"\n"))
}

// writePrivateFile replaces path with b at once (a reader sees the old
// file or the new one), 0600 in a 0700 directory.
func writePrivateFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ward-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (g *globals) displayPath(p string) string {
	if home := g.getenv("HOME"); home != "" && strings.HasPrefix(p, home+string(filepath.Separator)) {
		return "~" + p[len(home):]
	}
	return p
}
