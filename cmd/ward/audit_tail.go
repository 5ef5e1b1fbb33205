package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardhq/ward/internal/detect"
)

// auditTailOptions are the inputs of ward audit tail.
type auditTailOptions struct {
	log        string   // the audit log file; "-" for stdin
	follow     bool     // keep reading as the log grows
	lines      int      // how many past entries to show first
	env        string   // only this environment
	identities []string // only these identities (globs)
	format     format
	stdin      io.Reader
	stdout     io.Writer
	// tick paces -f: it returns a channel that fires when the file should
	// be read again. nil: every 250ms. Tests drive it by hand.
	tick func() <-chan time.Time
}

func newAuditTailCmd(g *globals) *cobra.Command {
	o := auditTailOptions{stdin: g.stdin, stdout: g.stdout}
	cmd := &cobra.Command{
		Use:   "tail [-f] [--log FILE] [--env ENV] [--identity NAME]... [-n 20]",
		Short: "Show the latest requests and alerts in the audit log, and follow it",
		Long: `ward audit tail prints the last answered requests in the vault's audit log,
one line each: time, status, operation and path, identity and, for a CI
job, its pipeline. Alerts raised by the detectors (see 'Watching access'
in the README) are shown too, as ALERT lines. With -f it keeps reading
as the vault writes, like tail -f, and follows the log to a new file if
it is moved aside.

--env keeps one environment (a request refused at its environment's
door counts for the environment it asked for). --identity keeps the
entries whose identity (the token's display name, a user, or a CI
repository) matches one of the given names; * matches anything. Values
are HMACs in the log and stay so here; the command needs no key.`,
		Example: `  ward audit tail -f --log /var/lib/ward/audit.log
  ward audit tail --log audit.log --env prod --identity 'octo/*' -n 50
  ward audit tail -f --log audit.log --identity userpass-alice --format json | jq .path`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.log == "" {
				o.log = g.getenv("WARD_AUDIT_LOG")
			}
			return runAuditTail(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.log, "log", "", "the audit log file, - for stdin (default: $WARD_AUDIT_LOG)")
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "keep printing entries as the log grows, until interrupted")
	cmd.Flags().IntVarP(&o.lines, "lines", "n", 20, "how many past entries to print first")
	cmd.Flags().StringVar(&o.env, "env", "", "only entries of this environment")
	cmd.Flags().StringArrayVar(&o.identities, "identity", nil, "only entries of this identity: display name, user or CI repository; * matches anything (repeatable)")
	formatFlag(cmd, &o.format)
	return cmd
}

// tailEntry is one line of ward audit tail, the JSON output.
type tailEntry struct {
	Time        string            `json:"time"`
	Type        string            `json:"type"` // response or alert
	RequestID   string            `json:"request_id,omitempty"`
	Identity    string            `json:"identity,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Path        string            `json:"path,omitempty"`
	Operation   string            `json:"operation,omitempty"`
	RemoteAddr  string            `json:"remote_addr,omitempty"`
	Status      int               `json:"status,omitempty"`
	Error       string            `json:"error,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
}

func runAuditTail(ctx context.Context, o auditTailOptions) error {
	if o.log == "" {
		return withHint(usagef("missing --log"), "give the vault's audit log (ward server --audit-log, default DATA/audit.log), or set WARD_AUDIT_LOG")
	}
	if o.lines < 0 {
		return usagef("--lines must be 0 or more, not %d", o.lines)
	}
	if o.tick == nil {
		o.tick = func() <-chan time.Time { return time.After(250 * time.Millisecond) }
	}
	t := &tailer{o: &o}
	if o.log == "-" {
		// stdin: the past is whatever is there; -f reads on until it ends.
		if !o.follow {
			if err := eachLine(ctx, o.stdin, t.keep); err != nil {
				return err
			}
			return t.printKept()
		}
		return eachLine(ctx, o.stdin, t.show)
	}
	fl, err := detect.OpenFollower(o.log)
	if err != nil {
		return withHint(fmt.Errorf("reading audit log: %w", err), "give the path of the vault's audit log (ward server --audit-log, default DATA/audit.log)")
	}
	defer fl.Close()
	if err := fl.Poll(t.keep); err != nil {
		return err
	}
	if err := t.printKept(); err != nil {
		return err
	}
	if !o.follow {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.tick():
		}
		if err := fl.Poll(t.show); err != nil {
			return err
		}
	}
}

// tailer filters and prints entries.
type tailer struct {
	o    *auditTailOptions
	ring []tailEntry // the last o.lines entries, while reading the past
	next int
	bad  int // lines that are not audit entries
}

// keep remembers a line's entry among the last o.lines that pass.
func (t *tailer) keep(line []byte) error {
	e, ok := t.parse(line)
	if !ok || t.o.lines == 0 {
		return nil
	}
	if len(t.ring) < t.o.lines {
		t.ring = append(t.ring, e)
	} else {
		t.ring[t.next] = e
		t.next = (t.next + 1) % t.o.lines
	}
	return nil
}

// printKept prints the kept entries, oldest first.
func (t *tailer) printKept() error {
	for i := range t.ring {
		if err := t.print(&t.ring[(t.next+i)%len(t.ring)]); err != nil {
			return err
		}
	}
	t.ring = nil
	return nil
}

// show prints one line's entry if it passes the filters.
func (t *tailer) show(line []byte) error {
	if e, ok := t.parse(line); ok {
		return t.print(&e)
	}
	return nil
}

// parse decodes a line and applies the filters: responses and alerts of
// the environment and identities asked for.
func (t *tailer) parse(line []byte) (tailEntry, bool) {
	var e tailEntry
	if len(bytes.TrimSpace(line)) == 0 {
		return e, false
	}
	if json.Unmarshal(line, &e) != nil || e.Type == "" {
		t.bad++
		return e, false
	}
	if e.Type != "response" && e.Type != "alert" {
		return e, false
	}
	if env := t.o.env; env != "" && e.Environment != env && !(e.Environment == "" && strings.HasPrefix(e.Path, env+"/")) {
		return e, false
	}
	if len(t.o.identities) > 0 && !t.identityMatches(&e) {
		return e, false
	}
	return e, true
}

func (t *tailer) identityMatches(e *tailEntry) bool {
	names := []string{e.Identity, e.Meta["ward_identity"], e.Meta["ci_repository"]}
	if e.Type == "alert" {
		names = append(names, e.Meta["identity"])
	}
	for _, want := range t.o.identities {
		for _, n := range names {
			if n != "" && wildcard(want, n) {
				return true
			}
		}
	}
	return false
}

func (t *tailer) print(e *tailEntry) error {
	if t.o.format == formatJSON {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(t.o.stdout, "%s\n", b)
		return err
	}
	var line string
	if e.Type == "alert" {
		line = fmt.Sprintf("%s  ALERT  %s  %s", e.Time, e.Operation, e.Meta["summary"])
	} else {
		who := e.Identity
		if who == "" {
			who = "-"
		}
		line = fmt.Sprintf("%s  %d  %s %s  %s  %s", e.Time, e.Status, e.Operation, e.Path, who, pipeline(e.Meta))
		if e.Error != "" {
			line += "  (" + e.Error + ")"
		}
	}
	_, err := fmt.Fprintln(t.o.stdout, line)
	return err
}

// wildcard matches name against pattern, where * matches any run of
// characters.
func wildcard(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// eachLine calls fn for each complete line of r, without its newline, and
// for a last line without one.
func eachLine(ctx context.Context, r io.Reader, fn func([]byte) error) error {
	sc := bufio.NewScanner(ctxReader{ctx, r})
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("reading audit log: %w", err)
	}
	return nil
}
