package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/audit"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the vault's audit log",
		Long: `The vault writes one JSON line per request and per response to its audit
log. Tokens, accessors and secret values appear only as HMACs (find one with
sys/audit-hash), and each line carries the hash of the one before it.`,
		Example: `  ward audit verify /var/lib/ward/audit.log
  ward audit query --log /var/lib/ward/audit.log --path prod/payments/db`,
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
	files       []string // the log, oldest file first if it was rotated; "-" alone for stdin
	format      format
	key         string // the vault's checkpoint key, "ed25519:..."; "" to take the file's
	checkpoints string // a file of checkpoint lines kept elsewhere; "" for none
	each        bool   // every file is a log of its own (audit_each.go)
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer // for --each, which reports each failure and goes on
}

func newAuditVerifyCmd(g *globals) *cobra.Command {
	o := auditVerifyOptions{stdin: g.stdin, stdout: g.stdout, stderr: g.stderr}
	cmd := &cobra.Command{
		Use:   "verify FILE...",
		Short: "Check an audit log's hash chain and the vault's signed checkpoints",
		Long: `ward audit verify reads an audit log (- for stdin) and checks its hash chain.
It reports the first line that was changed, removed, reordered or inserted,
and a last line cut short by a crash. The chain needs no key.

The chain alone shows that the file is self-consistent, not who wrote it:
someone who can write the file can rewrite a line and recompute every hash
after it, or cut lines off its end. So the vault also writes checkpoints:
lines in which it signs the chain's head, every minute while entries come in
and when it seals. verify checks each one, and reports a log rebuilt before a
checkpoint, a forged checkpoint, and how many entries follow the last one
(those alone could be cut or rewritten unseen). With --key it trusts only
the vault's key (the server logs it at unseal); without, it takes the key of
the file's first checkpoint, which a forger could have replaced. With
--checkpoints it also checks checkpoints kept elsewhere, which catches
lines cut off the end.

A rotated log is several files: give them oldest first. After a rotation
(ward server reopens its log on SIGHUP) the new file's first line chains to
the old file's last, so verify checks them as one chain and reports a file
missing, out of order or cut short. A file alone that continues an earlier
one fails at its line 1.

Several servers on one PostgreSQL database each keep their own log, a chain
of its own. --each verifies several logs in one run: every FILE is one
server's log (a rotated one as its files joined by commas, oldest first);
each is reported, and verify fails if any log does.

Exit status: 0 if the log is intact, 1 if it is not, if --key is given and
no checkpoint verifies with it, or if a file cannot be read; 2 for a usage
error.`,
		Example: `  ward audit verify /var/lib/ward/audit.log
  ward audit verify --key ed25519:3q2+7w... /var/lib/ward/audit.log
  # checkpoints shipped elsewhere, e.g. from the server's JSON log:
  journalctl -u ward -o cat | jq -r 'select(.msg=="audit checkpoint").audit_line' > checkpoints.log
  ward audit verify --key ed25519:3q2+7w... --checkpoints checkpoints.log audit.log
  ward audit verify --format json - < audit.log
  ward audit verify audit.log.2 audit.log.1 audit.log   # a rotated log, oldest first
  ward audit verify --each a/audit.log b/audit.log.1,b/audit.log   # two servers' logs`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("ward audit verify takes the log's FILE, or its rotated files oldest first (- alone for stdin)")
			}
			if len(args) > 1 && slices.Contains(args, "-") {
				return usagef("- (stdin) is for a log in one piece; give a rotated log's files by name, oldest first")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			if o.each {
				return runAuditVerifyEach(cmd.Context(), o)
			}
			return runAuditVerify(cmd.Context(), o)
		},
	}
	formatFlag(cmd, &o.format)
	cmd.Flags().BoolVar(&o.each, "each", false, "every FILE is a log of its own (one per server); join a rotated log's files with commas")
	cmd.Flags().StringVar(&o.key, "key", "", "the vault's audit checkpoint key (ed25519:BASE64), logged by the server at unseal")
	cmd.Flags().StringVar(&o.checkpoints, "checkpoints", "", "a file of checkpoint lines kept elsewhere, to catch lines cut off the log's end")
	return cmd
}

// auditVerifyResult is the JSON output of ward audit verify.
type auditVerifyResult struct {
	File    string   `json:"file"`  // the file of Line, or the last file if ok
	Files   []string `json:"files"` // every file read, in order
	Entries int      `json:"entries"`
	OK      bool     `json:"ok"`
	Line    int      `json:"line"`   // the first bad line; 0 if ok
	Reason  string   `json:"reason"` // why it is bad; "" if ok
	Torn    bool     `json:"torn"`   // the bad line is a last line cut short by a crash
	// Problem names the kind of the bad line: broken, torn, rebuilt,
	// bad_checkpoint, truncated, or no_checkpoint (--key and none verified).
	Problem        string `json:"problem,omitempty"`
	Checkpoints    int    `json:"checkpoints"`     // checkpoints verified
	LastCheckpoint int    `json:"last_checkpoint"` // line of the last; 0 if none
	// LastCheckpointFile is the file of LastCheckpoint; "" if none.
	LastCheckpointFile string `json:"last_checkpoint_file,omitempty"`
	Unsigned           int    `json:"unsigned"`      // entries after it, covered by no signature
	Sealed             bool   `json:"sealed"`        // the log ends with a seal checkpoint
	Key                string `json:"key,omitempty"` // the key the checkpoints verified with
	KeyPinned          bool   `json:"key_pinned"`    // that key came from --key or --checkpoints
	Shipped            int    `json:"shipped"`       // checkpoints from --checkpoints found in the log
}

// chainProblems names the errors a *audit.ChainError wraps, for JSON.
var chainProblems = []struct {
	err  error
	name string
}{
	{audit.ErrTorn, "torn"}, {audit.ErrRebuilt, "rebuilt"}, {audit.ErrBadCheckpoint, "bad_checkpoint"},
	{audit.ErrTruncated, "truncated"}, {audit.ErrBroken, "broken"},
}

func runAuditVerify(ctx context.Context, o auditVerifyOptions) error {
	var opts audit.VerifyOptions
	if o.key != "" {
		k, err := audit.ParseKey(o.key)
		if err != nil {
			return usagef("--key: %v", err)
		}
		opts.Key = k
	}
	if o.checkpoints != "" {
		f, err := os.Open(o.checkpoints)
		if err != nil {
			return withHint(fmt.Errorf("reading checkpoints: %w", err), "give a file of checkpoint lines kept elsewhere (see ward audit verify --help)")
		}
		opts.Shipped, err = audit.ReadCheckpoints(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("reading checkpoints %s: %w", o.checkpoints, err)
		}
		if len(opts.Shipped) == 0 {
			return withHint(fmt.Errorf("%s holds no checkpoint line", o.checkpoints), `checkpoint lines are the audit lines with "type":"checkpoint"`)
		}
	}
	files := newAuditFiles(o.files, o.stdin)
	defer files.Close()
	rep, err := audit.VerifyLog(ctxReader{ctx, files}, opts)
	var ce *audit.ChainError
	var torn *tornFileError
	switch {
	case errors.As(err, &torn):
		ce = &audit.ChainError{Line: rep.Entries + 1, Reason: "the last line is incomplete: a write was cut short by a crash, and the next file cannot follow it", Err: audit.ErrTorn}
	case err != nil && !errors.As(err, &ce):
		if len(o.files) == 1 {
			return fmt.Errorf("verifying audit log %s: %w", o.files[0], err)
		}
		return fmt.Errorf("verifying audit log %s: %w", files.joined(), err)
	}
	res := auditVerifyResult{Files: o.files, Entries: rep.Entries, OK: ce == nil, Checkpoints: rep.Checkpoints,
		Unsigned: rep.Unsigned, Sealed: rep.Sealed, Key: rep.Key, KeyPinned: rep.KeyPinned, Shipped: rep.Shipped}
	res.File = o.files[len(o.files)-1]
	if rep.LastCheckpoint > 0 {
		res.LastCheckpointFile, res.LastCheckpoint = files.where(rep.LastCheckpoint)
	}
	if ce != nil {
		res.File, res.Line = files.where(ce.Line)
		res.Reason, res.Torn = ce.Reason, errors.Is(ce, audit.ErrTorn)
		for _, p := range chainProblems {
			if errors.Is(ce, p.err) {
				res.Problem = p.name
				break
			}
		}
	} else if opts.Key != nil && rep.Checkpoints == 0 {
		res.OK, res.Problem = false, "no_checkpoint"
		res.Reason = "no checkpoint in the log verifies with the key given"
	}
	if o.format == "json" {
		b, _ := json.Marshal(res)
		fmt.Fprintf(o.stdout, "%s\n", b)
		if !res.OK {
			return &exitError{Code: exitFailure}
		}
		return nil
	}
	logName := "audit log " + files.joined()
	if len(o.files) > 1 {
		logName = "audit log in " + files.joined()
	}
	switch {
	case res.Problem == "no_checkpoint":
		return withHint(fmt.Errorf("%s: %s, chain intact, but %s", logName, plural(rep.Entries, "entry"), res.Reason),
			"a log written before ward signed checkpoints has none; otherwise they were removed and the chain recomputed, or --key is not this vault's")
	case res.OK:
		fmt.Fprintf(o.stdout, "ward: %s: %s, chain intact\n", logName, plural(rep.Entries, "entry"))
		printCheckpoints(o.stdout, rep, res)
		return nil
	}
	err = fmt.Errorf("%s:%d: %s", res.File, res.Line, res.Reason)
	switch {
	case res.Problem == "torn" && res.File != o.files[len(o.files)-1]:
		return withHint(err, "the files after it cannot follow an incomplete line; if it was rotated after a crash, verify the files up to it and from the next one apart")
	case res.Problem == "torn":
		return withHint(err, linesBefore(rep.Entries)+"ward stopped in the middle of a write, and drops the incomplete line when it opens the log again")
	case res.Problem == "truncated":
		return withHint(err, "the lines the checkpoints kept elsewhere cover are gone: restore them from a copy, and keep this file as evidence")
	case res.Line == 1 && res.File != o.files[0]:
		i := slices.Index(o.files, res.File)
		return withHint(err, fmt.Sprintf("the first line of %s does not follow the last of %s: give the files oldest first, with none missing; "+
			"a file begun while the vault was sealed starts a new chain: verify it and the files after it apart", res.File, o.files[i-1]))
	case res.Line == 1 && len(o.files) == 1:
		return withHint(err, "keep this copy as evidence; if the log was rotated, this file may go on from older ones: give them too, oldest first (ward audit verify OLDER... "+res.File+")")
	}
	return withHint(err, linesBefore(rep.Entries)+"from this line on, the log is not what ward wrote: keep this copy as evidence and compare it with a copy shipped elsewhere")
}

// printCheckpoints says what the checkpoints of an intact log cover.
func printCheckpoints(w io.Writer, rep *audit.Report, res auditVerifyResult) {
	if rep.Checkpoints == 0 {
		fmt.Fprintf(w, "ward: no checkpoints: the chain shows the file is self-consistent, not that the vault wrote all of it; logs from before checkpoints have none\n")
		return
	}
	trust := "pinned"
	if !rep.KeyPinned {
		trust = "taken from the file: pin it with --key"
	}
	fmt.Fprintf(w, "ward: %s verified, signed by %s (%s)\n", plural(rep.Checkpoints, "checkpoint"), rep.Key, trust)
	switch {
	case rep.Sealed:
		fmt.Fprintf(w, "ward: the log ends with the vault's seal checkpoint\n")
	case rep.Unsigned > 0:
		at := fmt.Sprintf("line %d", res.LastCheckpoint)
		if len(res.Files) > 1 {
			at = fmt.Sprintf("%s:%d", res.LastCheckpointFile, res.LastCheckpoint)
		}
		what := fmt.Sprintf("the last %d entries, after the checkpoint at %s, are", rep.Unsigned, at)
		if rep.Unsigned == 1 {
			what = fmt.Sprintf("the last entry, after the checkpoint at %s, is", at)
		}
		fmt.Fprintf(w, "ward: %s covered by no signature: lines cut off there would not show\n", what)
	}
	switch {
	case rep.Shipped == 1:
		fmt.Fprintf(w, "ward: the checkpoint kept elsewhere matches the log\n")
	case rep.Shipped > 1:
		fmt.Fprintf(w, "ward: the %d checkpoints kept elsewhere match the log\n", rep.Shipped)
	}
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
