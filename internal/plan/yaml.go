package plan

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlFile reads one YAML file strictly, adding problems at its lines.
type yamlFile struct {
	name string // relative to the directory, with "/"
	ps   *problems
}

func (f *yamlFile) add(n *yaml.Node, format string, args ...any) {
	f.ps.add(f.name, n.Line, n.Column, format, args...)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document decodes src, which must be one YAML document, into its root
// node, refusing aliases, anchors, merge keys and tags anywhere. It returns
// nil for an empty document (what says what the file should hold) and after
// a problem.
func (f *yamlFile) document(src []byte, what string) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			f.ps.add(f.name, 0, 0, "the file is empty; %s", what)
			return nil
		}
		f.syntax(err, src)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			f.syntax(err, src)
			return nil
		}
		f.add(&next, "the file is one YAML document; remove the second one (after ---)")
		return nil
	}
	if len(doc.Content) == 0 {
		f.ps.add(f.name, 0, 0, "the file is empty; %s", what)
		return nil
	}
	if !f.plain(doc.Content[0]) {
		return nil
	}
	return doc.Content[0]
}

// parserErrors are the YAML library's parser errors, whose line it counts
// from 0 (its scanner's errors count from 1).
var parserErrors = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected key", "did not find expected node content",
}

func (f *yamlFile) syntax(err error, src []byte) {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if slices.Contains(parserErrors, msg) {
		line++
	}
	line = min(line, countLines(src)) // an error at the end names the last line
	f.ps.add(f.name, line, 0, "YAML syntax: %s", msg)
}

// plain refuses the YAML features that make a file say something other
// than what it looks like, and reports whether n is free of them.
func (f *yamlFile) plain(n *yaml.Node) bool {
	ok := true
	switch {
	case n.Kind == yaml.AliasNode:
		f.add(n, "YAML aliases (*name) are not allowed; write the entry out")
		return false
	case n.Anchor != "":
		f.add(n, "YAML anchors (&name) are not allowed; write each entry out")
		ok = false
	case n.Style&yaml.TaggedStyle != 0:
		f.add(n, "YAML tags (!tag) are not allowed")
		ok = false
	case n.Tag == "!!merge":
		f.add(n, "YAML merge keys (<<) are not allowed; write each entry out")
		ok = false
	}
	for _, c := range n.Content {
		ok = f.plain(c) && ok
	}
	return ok
}

// pair is one key and value of a mapping.
type pair struct {
	key  string
	k, v *yaml.Node
}

// pairs returns a mapping's entries, refusing repeated keys and, when known
// is not nil, keys outside it. what names the mapping in messages.
func (f *yamlFile) pairs(n *yaml.Node, what string, known []string) []pair {
	if n.Kind != yaml.MappingNode {
		f.add(n, "%s must be a mapping (key: value lines)", what)
		return nil
	}
	seen := map[string]int{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			f.add(k, "a key in %s must be a plain name", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			f.add(k, "%s appears twice in %s (first at line %d)", quote(k.Value), what, first)
			continue
		}
		seen[k.Value] = k.Line
		if known != nil && !slices.Contains(known, k.Value) {
			f.add(k, "unknown field %s in %s%s", quote(k.Value), what, didYouMean(k.Value, known))
			continue
		}
		out = append(out, pair{key: k.Value, k: k, v: v})
	}
	return out
}

// scalar returns a non-null scalar's text, or reports that it is not one
// without quoting what it holds.
func (f *yamlFile) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		f.add(n, "%s must be a single value", what)
		return "", false
	}
	return n.Value, true
}

// list returns the scalars of a sequence.
func (f *yamlFile) list(n *yaml.Node, what string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		f.add(n, "%s must be a list, like [a, b]", what)
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, c := range n.Content {
		s, good := f.scalar(c, "each entry of "+what)
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// countLines counts src's lines as YAML does: "\n", "\r\n" and "\r" each
// end one.
func countLines(src []byte) int {
	n := 1
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			n++
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			n++
		}
	}
	return n
}
