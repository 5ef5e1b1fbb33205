package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newServerCmd(g *globals) *cobra.Command {
	o := &serveOpts{}
	cmd := &cobra.Command{
		Use:   "server --data DIR [--storage bolt|postgres] [--listen ADDR] [--tls-cert FILE --tls-key FILE]",
		Short: "Run a ward server; it starts sealed",
		Long: `Run a ward server on its store: the embedded one in --data, or PostgreSQL
(see Storage below). It starts sealed: on a new store run 'ward operator
init', then 'ward operator unseal' threshold times after every start.

Plain HTTP is served only on a loopback address; give --tls-cert and
--tls-key to serve beyond this machine. The audit log is DATA/audit.log.
Clients of a server whose certificate a private CA signed (or a
self-signed one) give that CA with --ca-cert or WARD_CACERT.

` + storageHelp + "\n\n" + watchHelp,
		Example: `  ward server --data /var/lib/ward
  ward server --data /var/lib/ward --listen 0.0.0.0:8200 --tls-cert cert.pem --tls-key key.pem
  ward server --storage postgres --storage-dsn-file /etc/ward/dsn --data /var/lib/ward --tls-cert c.pem --tls-key k.pem
  ward --address https://ward.internal:8200 --ca-cert ca.pem operator init   # then, from a client`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServer(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8200", "address to listen on")
	cmd.Flags().StringVar(&o.data, "data", "", "directory for the store and the audit log (required)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM)")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM)")
	cmd.Flags().StringVar(&o.auditLog, "audit-log", "", "the audit log file (default: DATA/audit.log)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	o.identity.flags(cmd.Flags())
	o.watch.flags(cmd.Flags(), g.getenv)
	o.store.flags(cmd.Flags(), g.getenv)
	return cmd
}

func runServer(ctx context.Context, g *globals, o *serveOpts) error {
	if o.data == "" {
		return usagef("--data DIR is required: where ward keeps its store and audit log")
	}
	if err := o.store.check(); err != nil {
		return err
	}
	logger, ln, err := o.start(g)
	if err != nil {
		return err
	}
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
	return serve(ctx, o, v, ln, logger)
}
