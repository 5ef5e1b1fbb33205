package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/plan"
)

// formatMarkdown is ward plan's third format: the plan as a pull or merge
// request comment.
const formatMarkdown format = "markdown"

// planFormat is plan's --format: text, json or markdown.
type planFormat struct{ f *format }

func (p planFormat) String() string { return string(*p.f) }
func (p planFormat) Type() string   { return "text|json|markdown" }
func (p planFormat) Set(s string) error {
	if s == string(formatMarkdown) {
		*p.f = formatMarkdown
		return nil
	}
	if err := p.f.Set(s); err != nil {
		return fmt.Errorf("want text, json or markdown, not %q", s)
	}
	return nil
}

var accessVerb = map[string]string{"+": "gains", "-": "loses"}

var actionWord = map[string]string{plan.Create: "create", plan.Update: "update", plan.Delete: "delete"}

// printPlanMarkdown writes the plan as Markdown for a review comment: a
// summary line, the access it changes ("ci-api gains read on
// prod/payments/*") first, since that is what a reviewer must see, then
// each change with its fields and diff. Every name from the directory is in
// a code span, so a name cannot inject markup into the comment.
func printPlanMarkdown(w io.Writer, o *planOpts, res *client.PlanResult) error {
	var b strings.Builder
	b.WriteString("### ward plan\n\n")
	if len(res.Changes) == 0 {
		fmt.Fprintf(&b, "No changes: the server matches %s.\n", mdCode(o.dir))
		_, err := io.WriteString(w, b.String())
		return err
	}
	counts := map[string]int{}
	var access []client.AccessChange
	for _, c := range res.Changes {
		counts[c.Action]++
		access = append(access, c.Access...)
	}
	fmt.Fprintf(&b, "**%s** to %s: %d to create, %d to update, %d to delete.\n\n",
		plural(len(res.Changes), "change"), mdCode(o.dir), counts[plan.Create], counts[plan.Update], counts[plan.Delete])
	if len(access) > 0 {
		b.WriteString("#### Access\n\n")
		for _, a := range access {
			fmt.Fprintf(&b, "- %s **%s** %s on %s", mdCode(a.Policy), accessVerb[a.Sign], mdCode(a.Capability), mdCode(a.Path))
			if a.MFA {
				b.WriteString(" (with MFA)")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("#### Changes\n\n")
	for _, c := range res.Changes {
		fmt.Fprintf(&b, "- %s %s %s", actionWord[c.Action], c.Kind, mdCode(c.Name))
		if src := (plan.Source{File: c.Source.File, Line: c.Source.Line}).String(); src != "" {
			fmt.Fprintf(&b, " (%s)", mdCode(src))
		}
		b.WriteString("\n")
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "  - %s: %s → %s\n", mdCode(f.Field), mdCode(orNone(f.Old)), mdCode(orNone(f.New)))
		}
		if c.Diff != "" {
			fence := mdFence(c.Diff)
			fmt.Fprintf(&b, "\n  <details><summary>diff</summary>\n\n  %sdiff\n", fence)
			for _, line := range strings.SplitAfter(strings.TrimSuffix(c.Diff, "\n"), "\n") {
				b.WriteString("  " + strings.TrimSuffix(line, "\n") + "\n")
			}
			fmt.Fprintf(&b, "  %s\n\n  </details>\n\n", fence)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// mdCode puts s in a Markdown code span delimited by more backticks than
// any run in s, so s shows as it is.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// mdFence is a code fence longer than any backtick run in s (at least 3).
func mdFence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
