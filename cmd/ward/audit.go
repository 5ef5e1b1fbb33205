package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/audit"
)

func init() { register(newAuditCmd) }

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the vault's audit log",
		Long: `The vault writes one JSON line per request and per response to its audit
log. Tokens, accessors and secret values appear only as HMACs (find one with
sys/audit-hash), and each line carries the hash of the one before it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAuditVerifyCmd(g))
	cmd.AddCommand(newAuditQueryCmd(g))
	cmd.AddCommand(newAuditTailCmd(g))
	cmd.AddCommand(newAuditDetectCmd(g))
	return cmd
}

// auditVerifyOptions are the inputs of ward audit verify.
type auditVerifyOptions struct {
	file   string // the log; "-" for stdin
	format string // "text" or "json"
	stdin  io.Reader
	stdout io.Writer
}

func newAuditVerifyCmd(g *globals) *cobra.Command {
	o := auditVerifyOptions{stdin: g.stdin, stdout: g.stdout}
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check that an audit log's hash chain is intact",
		Long: `ward audit verify reads an audit log (- for stdin) and checks its hash chain.
It reports the first line that was changed, removed, reordered or inserted,
and a last line cut short by a crash. The check needs no key.

Exit status: 0 if the chain is intact, 1 if it is not or the file cannot be
read, 2 for a usage error.

The chain shows that the file is self-consistent, not who wrote it: someone
who can write the file can rewrite its tail or cut lines off its end. Compare
with a copy shipped elsewhere to rule that out.`,
		Example: `  ward audit verify /var/lib/ward/audit.log
  ward audit verify --format json - < audit.log`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("ward audit verify takes one FILE (- for stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			return runAuditVerify(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}

// auditVerifyResult is the JSON output of ward audit verify.
type auditVerifyResult struct {
	File    string `json:"file"`
	Entries int    `json:"entries"`
	OK      bool   `json:"ok"`
	Line    int    `json:"line"`   // the first bad line; 0 if ok
	Reason  string `json:"reason"` // why it is bad; "" if ok
	Torn    bool   `json:"torn"`   // the bad line is a last line cut short by a crash
}

func runAuditVerify(ctx context.Context, o auditVerifyOptions) error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format %q: want text or json", o.format)
	}
	r, closeLog, err := openAuditLog(o.file, o.stdin)
	if err != nil {
		return err
	}
	defer closeLog()
	n, err := audit.Verify(ctxReader{ctx, r})
	var ce *audit.ChainError
	if err != nil && !errors.As(err, &ce) {
		return fmt.Errorf("reading audit log %s: %w", o.file, err)
	}
	res := auditVerifyResult{File: o.file, Entries: n, OK: ce == nil}
	if ce != nil {
		res.Line, res.Reason, res.Torn = ce.Line, ce.Reason, errors.Is(ce, audit.ErrTorn)
	}
	if o.format == "json" {
		b, _ := json.Marshal(res)
		fmt.Fprintf(o.stdout, "%s\n", b)
		if !res.OK {
			return &exitError{Code: exitFailure}
		}
		return nil
	}
	if res.OK {
		fmt.Fprintf(o.stdout, "ward: audit log %s: %d entries, chain intact\n", o.file, n)
		return nil
	}
	err = fmt.Errorf("%s:%d: %s", o.file, ce.Line, ce.Reason)
	if res.Torn {
		return withHint(err, linesBefore(n)+"ward stopped in the middle of a write, and drops the incomplete line when it opens the log again")
	}
	return withHint(err, linesBefore(n)+"from this line on, the log is not what ward wrote: keep this copy as evidence and compare it with a copy shipped elsewhere")
}

// linesBefore says that the n lines before a bad one chain correctly.
func linesBefore(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "the line before it chains correctly; "
	}
	return fmt.Sprintf("the %d lines before it chain correctly; ", n)
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
