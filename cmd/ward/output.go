package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// format is --format: text for people, json for programs. Every command
// that prints a result takes it; the flag checks its value when parsed.
type format string

const (
	formatText format = "text"
	formatJSON format = "json"
)

func (f *format) String() string { return string(*f) }
func (f *format) Type() string   { return "text|json" }
func (f *format) Set(s string) error {
	if s != string(formatText) && s != string(formatJSON) {
		return fmt.Errorf("want text or json, not %q", s)
	}
	*f = format(s)
	return nil
}

// formatFlag adds --format text|json to cmd, text by default.
func formatFlag(cmd *cobra.Command, dst *format) {
	*dst = formatText
	cmd.Flags().Var(dst, "format", "output format: text or json")
}

// show prints a command's result: v as JSON with --format json (a nil
// slice or map as an empty one, never null), else what text writes.
func (g *globals) show(f format, v any, text func(io.Writer) error) error {
	if f == formatJSON {
		return printJSON(g.stdout, nonNil(v))
	}
	return text(g.stdout)
}

// tableText writes rows aligned in columns.
func tableText(rows [][]string) func(io.Writer) error {
	return func(w io.Writer) error { return table(w, rows) }
}

// linesText writes one line each.
func linesText(lines []string) func(io.Writer) error {
	return func(w io.Writer) error {
		for _, l := range lines {
			if _, err := fmt.Fprintln(w, l); err != nil {
				return err
			}
		}
		return nil
	}
}

// lineText writes one formatted line.
func lineText(layout string, args ...any) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := fmt.Fprintf(w, layout+"\n", args...)
		return err
	}
}

// nonNil turns a nil slice or map into an empty one.
func nonNil(v any) any {
	rv := reflect.ValueOf(v)
	switch {
	case !rv.IsValid():
		return v
	case rv.Kind() == reflect.Slice && rv.IsNil():
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	case rv.Kind() == reflect.Map && rv.IsNil():
		return reflect.MakeMap(rv.Type()).Interface()
	}
	return v
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // output for people and programs, not for HTML
	return enc.Encode(v)
}

// table writes rows aligned in columns.
func table(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// plural writes "1 file", "2 files", "1 entry", "3 entries".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pluralThese writes "this change", "these 2 changes".
func pluralThese(n int, noun string) string {
	if n == 1 {
		return "this " + noun
	}
	return "these " + plural(n, noun)
}
