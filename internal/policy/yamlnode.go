package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardhq/ward/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// This file reads YAML nodes strictly, with positions, for Parse.

// yamlLine finds the line in the YAML library's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		msg := "YAML syntax: " + m[2]
		if strings.Contains(m[2], "expected alphabetic or numeric character") {
			// YAML reads a plain value starting with "*" as an alias.
			msg += `; quote a path that starts with "*", like path: "*/shared/**"`
		}
		return &ParseError{Line: line, Msg: msg}
	}
	return &ParseError{Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
}

func errAt(n *yaml.Node, format string, args ...any) *ParseError {
	return &ParseError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// fields checks that n is a mapping of known, unrepeated keys and calls
// visit for each key and value, in order.
func fields(n *yaml.Node, what string, known []string, visit func(key string, k, v *yaml.Node) error) error {
	if err := plain(n); err != nil {
		return err
	}
	if n.Kind != yaml.MappingNode {
		return errAt(n, "%s must be a mapping with the fields %s", what, strings.Join(known, ", "))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := plain(k); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return errAt(k, "%s has a key that is not a field name", what)
		}
		if line, dup := seen[k.Value]; dup {
			return errAt(k, "field %s appears twice in %s (first at line %d)", quoteShort(k.Value), what, line)
		}
		seen[k.Value] = k.Line
		if !contains(known, k.Value) {
			msg := fmt.Sprintf("unknown field %s", quoteShort(k.Value))
			if s := suggest.Closest(k.Value, known); s != "" {
				return errAt(k, "%s; did you mean %q?", msg, s)
			}
			return errAt(k, "%s; %s has the fields %s", msg, what, strings.Join(known, ", "))
		}
		if err := plain(v); err != nil {
			return err
		}
		if err := visit(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

// plain refuses aliases, which a policy has no use for and which can make a
// small document expand into a huge one.
func plain(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return errAt(n, "aliases (*%s) are not allowed in a policy; write the value out", n.Value)
	}
	return nil
}

// str returns the string a scalar node holds, or an error naming the field.
func str(n *yaml.Node, field, example string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", errAt(n, "%s must be a string, like %s", field, example)
	}
	return n.Value, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
