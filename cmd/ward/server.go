package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/vault"
)

func newServerCmd(g *globals) *cobra.Command {
	o := &serveOpts{}
	co := &serverConfigOpts{}
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "server [--config FILE] --data DIR [--storage bolt|postgres] [--listen ADDR] [--tls-cert FILE --tls-key FILE]",
		Short: "Run a ward server; it starts sealed",
		Long: `Run a ward server on its store: the embedded one in --data, or PostgreSQL
(see Storage below). It starts sealed: on a new store run 'ward operator
init', then 'ward operator unseal' threshold times after every start.

Plain HTTP is served only on a loopback address; give --tls-cert and
--tls-key to serve beyond this machine. The audit log is DATA/audit.log.
Clients of a server whose certificate a private CA signed (or a
self-signed one) give that CA with --ca-cert or WARD_CACERT.

--config FILE reads the settings from a YAML file whose keys are these
flags without their dashes (data: /var/lib/ward); a flag on the command
line wins over the file. Secrets never go in it: files that hold them are
named instead. --check checks the flags and the file, prints the settings
in effect, and exits without opening the store. docs/operating.md has an
example, a systemd unit and the rest of running ward in production.

On SIGHUP the server reopens its audit log, for log rotation: rename the
file, send SIGHUP, and the new file's chain goes on from the old one's
(ward audit verify OLD NEW checks both as one chain). It also loads the
TLS certificate and key again, so a renewed certificate needs no restart.

` + storageHelp + "\n\n" + watchHelp,
		Example: `  ward server --data /var/lib/ward
  ward server --data /var/lib/ward --listen 0.0.0.0:8200 --tls-cert cert.pem --tls-key key.pem
  ward server --storage postgres --storage-dsn-file /etc/ward/dsn --data /var/lib/ward --tls-cert c.pem --tls-key k.pem
  ward --address https://ward.internal:8200 --ca-cert ca.pem operator init   # then, from a client
  ward server --config /etc/ward/server.yaml
  ward server --config /etc/ward/server.yaml --log-level debug --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			from := configSource{}
			if co.file != "" {
				var err error
				if from, err = applyConfigFile(co.file, cmd.LocalFlags()); err != nil {
					return err
				}
			}
			if co.check {
				return runServerCheck(g, o, co, cmd.LocalFlags(), from)
			}
			return runServer(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8200", "address to listen on")
	cmd.Flags().StringVar(&o.data, "data", "", "directory for the store and the audit log (required)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM)")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM)")
	cmd.Flags().StringVar(&o.auditLog, "audit-log", "", "the audit log file (default: DATA/audit.log)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().DurationVar(&o.rotateInterval, "rotate-interval", vault.DefaultRotateInterval, "how often due secrets are rotated, and the first wait before a failed rotation is retried")
	o.identity.flags(cmd.Flags())
	o.watch.flags(cmd.Flags(), g.getenv)
	o.store.flags(cmd.Flags(), g.getenv)
	o.limits.flags(cmd.Flags())
	co.flags(cmd)
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the server to this file until it stops (for bench/pgstore)")
	cmd.Flags().MarkHidden("cpuprofile")
	cliOnly(cmd.Flags(), "cpuprofile")
	return cmd
}

func runServer(ctx context.Context, g *globals, o *serveOpts) error {
	if o.data == "" {
		return usagef("--data DIR is required: where ward keeps its store and audit log")
	}
	if err := o.store.check(); err != nil {
		return err
	}
	if err := o.limits.check(); err != nil {
		return err
	}
	logger, ln, err := o.start(g)
	if err != nil {
		return err
	}
	// Each connection is a file; the store, the audit log and the
	// database's connections need a few more.
	if n, err := raiseFileLimit(o.limits.maxConns + 256); err != nil {
		logger.Warn("the open-file limit could not be raised; connections beyond it are refused by the kernel", "error", err.Error())
	} else if n < uint64(o.limits.maxConns+256) {
		logger.Warn("the open-file limit is below --max-connections; raise it (LimitNOFILE= in a systemd unit) or lower --max-connections",
			"open_files", n, "max_connections", o.limits.maxConns)
	}
	logger.Info("limits", "requests", o.limits.requests().String(), "max_connections", o.limits.maxConns)
	v, err := openVault(o, logger)
	if err != nil {
		ln.Close()
		return err
	}
	ok, err := v.Initialized(ctx)
	if err != nil {
		ln.Close()
		v.Close()
		return err
	}
	state := "sealed; unseal with 'ward operator unseal'"
	if !ok {
		state = "not initialised; run 'ward operator init'"
	}
	fmt.Fprintf(g.stderr, "ward: server on %s (store %s, audit log %s, %s)\n", addrURL(o.scheme(), ln), o.store.where, o.auditPath(), state)
	fmt.Fprintf(g.stderr, "ward: dashboard at %s/ui/\n", addrURL(o.scheme(), ln))
	return serve(ctx, o, v, ln, logger)
}
