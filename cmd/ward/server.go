package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { register(newServerCmd) }

func newServerCmd(g *globals) *cobra.Command {
	o := &serveOpts{}
	cmd := &cobra.Command{
		Use:   "server --data DIR [--listen ADDR] [--tls-cert FILE --tls-key FILE]",
		Short: "Run a ward server; it starts sealed",
		Long: `Run a ward server on the embedded store in --data. It starts sealed: on a
new store run 'ward operator init', then 'ward operator unseal' threshold
times after every start.

Plain HTTP is served only on a loopback address; give --tls-cert and
--tls-key to serve beyond this machine. The audit log is DATA/audit.log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.data == "" {
				return usagef("--data DIR is required: where ward keeps its store and audit log")
			}
			if err := o.identity.check(); err != nil {
				return err
			}
			logger, err := newLogger(g, o.logLevel)
			if err != nil {
				return err
			}
			ln, err := o.listener()
			if err != nil {
				return err
			}
			v, err := openVault(o, logger)
			if err != nil {
				ln.Close()
				return err
			}
			ok, err := v.Initialized(cmd.Context())
			if err != nil {
				ln.Close()
				v.Close()
				return err
			}
			state := "sealed; unseal with 'ward operator unseal'"
			if !ok {
				state = "not initialised; run 'ward operator init'"
			}
			fmt.Fprintf(g.stderr, "ward: server on %s (data in %s, %s)\n", addrURL(o.scheme(), ln), o.data, state)
			fmt.Fprintf(g.stderr, "ward: dashboard at %s/ui/\n", addrURL(o.scheme(), ln))
			return serve(cmd.Context(), o, v, ln, logger)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8200", "address to listen on")
	cmd.Flags().StringVar(&o.data, "data", "", "directory for the store and the audit log (required)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM)")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM)")
	cmd.Flags().StringVar(&o.auditLog, "audit-log", "", "the audit log file (default: DATA/audit.log)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	o.identity.flags(cmd.Flags())
	return cmd
}
