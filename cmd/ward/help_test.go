package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command teaches by example, and every command that prints a
// result can print it as JSON for a program.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRootCmd(testGlobals(nil, io.Discard, io.Discard))
	n := 0
	walk(root, func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		n++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Examples: section in its help", c.CommandPath())
			return
		}
		for _, line := range strings.Split(c.Example, "\n") {
			if !strings.HasPrefix(line, "  ") || !strings.Contains(line, "ward") && !strings.HasPrefix(line, "  #") {
				t.Errorf("%q: example line %q is not an indented ward command line", c.CommandPath(), line)
			}
		}
	})
	if n < 60 {
		t.Fatalf("walked %d commands; the tree is larger than that", n)
	}
}

// noResult are the commands that print no result of their own: a help
// text, a completion script, a server's log, a filter's output.
var noResult = map[string]bool{
	"ward help": true, "ward completion": true,
	"ward dev": true, "ward server": true,
	"ward mask":    true, // a filter: stdin to stdout
	"ward codegen": true, // its output is source code
	"ward synth":   true, // its output is the values, one JSON document a line
}

func TestEveryResultHasJSON(t *testing.T) {
	root := newRootCmd(testGlobals(nil, io.Discard, io.Discard))
	walk(root, func(c *cobra.Command) {
		if c.Hidden || c.HasSubCommands() || noResult[c.CommandPath()] {
			return
		}
		f := c.Flags().Lookup("format")
		if f == nil {
			t.Errorf("%q has no --format", c.CommandPath())
		}
	})
}
