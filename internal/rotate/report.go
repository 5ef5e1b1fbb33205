package rotate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for a person: a summary, the steps' times,
// one line per token and per secret, and who to contact.
func (r *DrillReport) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := "drill"
	if r.DryRun {
		mode = "dry run (nothing changed)"
	}
	prefix := r.Prefix
	if prefix == "" {
		prefix = "(the whole environment)"
	}
	fmt.Fprintf(&b, "%s %s of %s under %s, started %s, took %s\n", mode, r.ID, r.Env, prefix, r.Started.Format("2006-01-02T15:04:05Z"), r.Took)
	if r.Empty {
		b.WriteString("the prefix holds nothing: no secret, lease or token to act on\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	verb := "revoked"
	if r.DryRun {
		verb = "would revoke"
	}
	fmt.Fprintf(&b, "leases: %s %d\n", verb, r.Leases)
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "step %-18s %s\n", s.Step, s.Took)
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(r.Tokens) > 0 {
		fmt.Fprintln(tw, "\nTOKEN\tIDENTITY\tLAST READ\tREVOKED\t")
		for _, t := range r.Tokens {
			rev := fmt.Sprint(t.Revoked)
			if t.Error != "" {
				rev = "no: " + t.Error
			}
			if r.DryRun {
				rev = "(dry run)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.Accessor, t.Identity, t.Path, rev)
		}
	}
	fmt.Fprintln(tw, "\nKIND\tPATH\tACTION\tREVOKED AFTER\tREISSUED AFTER\tVERIFIED\tOWNER\t")
	for _, s := range r.Secrets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Kind, s.Path, s.Action, dash(s.RevokedAfter), dash(s.ReissuedAfter), or(s.Verified, "-"), or(s.Owner, "-"))
	}
	tw.Flush()
	for _, s := range r.Secrets {
		if s.Error != "" {
			fmt.Fprintf(&b, "error: %s: %s\n", s.Path, s.Error)
		}
	}
	for _, c := range r.Contacts {
		fmt.Fprintf(&b, "contact %s about: %s\n", or(c.Owner, "(no owner named)"), strings.Join(c.Paths, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(d Duration) string {
	if d == 0 {
		return "-"
	}
	return d.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
