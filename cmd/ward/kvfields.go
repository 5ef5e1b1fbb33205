package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/types"
)

// fieldArg is one FIELD=VALUE, FIELD=@FILE, FIELD=- or FIELD argument of
// kv put and kv patch.
type fieldArg struct {
	name   string
	source string // "literal", "file", "stdin" or "prompt"
	text   string // the literal, or the file's path; never printed
}

// parseFieldArgs splits the arguments after the secret path. It checks
// their form only; which literals are allowed is decided with the type.
func parseFieldArgs(args []string) ([]fieldArg, error) {
	var out []fieldArg
	seen := map[string]bool{}
	stdin := false
	for i, a := range args {
		name, val, hasVal := strings.Cut(a, "=")
		if name == "" {
			return nil, usagef("argument %d has no field name; write FIELD=@FILE, FIELD=- or FIELD", i+2)
		}
		if seen[name] {
			return nil, usagef("field %q is given twice", name)
		}
		seen[name] = true
		f := fieldArg{name: name}
		switch {
		case !hasVal:
			f.source = "prompt"
		case val == "-":
			if stdin {
				return nil, usagef("only one field can come from stdin (%s=-); give the others as FIELD=@FILE", name)
			}
			stdin, f.source = true, "stdin"
		case strings.HasPrefix(val, "@"):
			if len(val) == 1 {
				return nil, usagef("field %q: @ needs a file name, like %s=@%s.txt", name, name, name)
			}
			f.source, f.text = "file", val[1:]
		default:
			f.source, f.text = "literal", val
		}
		out = append(out, f)
	}
	return out, nil
}

// unreadableType stands for the type of a secret whose metadata the
// caller may not read.
const unreadableType = "(unreadable)"

// secretType finds the type a secret's metadata names: nil for an untyped
// or new secret, and nil when the caller may not read the type (then every
// field counts as sensitive).
func secretType(ctx context.Context, g *globals, c *client.Client, env, path string) (*types.Type, string, error) {
	md, err := c.KV(env).Metadata(ctx, path)
	if errors.Is(err, client.ErrNotFound) {
		return nil, "", nil
	}
	if errors.Is(err, client.ErrPermissionDenied) {
		return nil, unreadableType, nil
	}
	if err != nil {
		return nil, "", g.apiError(err)
	}
	name := md.CustomMetadata["type"]
	if name == "" {
		return nil, "", nil
	}
	info, err := c.Type(ctx, name)
	if err != nil {
		return nil, name, nil
	}
	t, err := types.Compile(name, []byte(info.Schema))
	if err != nil {
		return nil, name, nil
	}
	return t, name, nil
}

// checkLiterals enforces the argv rule: a value on the command line lands
// in shell history and the process list, so only fields the secret's type
// marks "x-ward-sensitive": false may be literals.
func checkLiterals(fields []fieldArg, t *types.Type, typeName, env, path string) error {
	for _, f := range fields {
		if f.source != "literal" || (t != nil && !t.Sensitive(f.name)) {
			continue
		}
		why := fmt.Sprintf("%s/%s has no type, so every field is sensitive", env, path)
		switch {
		case t != nil:
			why = fmt.Sprintf("type %s marks it sensitive", typeName)
			if plain := literalFields(t); len(plain) > 0 {
				why += fmt.Sprintf(" (literals are allowed for %s)", strings.Join(plain, ", "))
			}
		case typeName == unreadableType:
			why = fmt.Sprintf("this token cannot read the metadata of %s/%s, so every field counts as sensitive", env, path)
		case typeName != "":
			why = fmt.Sprintf("type %s cannot be read with this token, so every field counts as sensitive", typeName)
		}
		return withHint(usagef("field %q cannot be given on the command line: %s", f.name, why),
			fmt.Sprintf("give it as %s=@FILE, %s=- (stdin) or %s alone (a prompt); only fields a type marks \"x-ward-sensitive\": false may be literal", f.name, f.name, f.name))
	}
	return nil
}

// fieldsObject reads every field's value and returns the JSON object.
// Values are text; a field the type declares as integer, number or
// boolean is converted when its text is one.
func fieldsObject(g *globals, fields []fieldArg, t *types.Type) (json.RawMessage, error) {
	obj := map[string]any{}
	for _, f := range fields {
		var text string
		switch f.source {
		case "literal":
			text = f.text
		case "file":
			b, err := readInput(g.stdin, f.text, maxValueBytes)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.name, err)
			}
			text = trimNewline(string(b))
		case "stdin":
			b, err := readInput(g.stdin, "-", maxValueBytes)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.name, err)
			}
			text = trimNewline(string(b))
		case "prompt":
			v, err := promptValue(g, f.name)
			if err != nil {
				return nil, err
			}
			text = v
		}
		obj[f.name] = typedValue(text, t, f.name)
	}
	return json.Marshal(obj)
}

func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

func typedValue(text string, t *types.Type, field string) any {
	if t == nil {
		return text
	}
	switch t.FieldKind(field) {
	case "integer", "number":
		if _, err := strconv.ParseFloat(text, 64); err == nil {
			return json.Number(text)
		}
	case "boolean":
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	}
	return text
}

// promptValue asks for a field's value on the terminal, without echo.
func promptValue(g *globals, field string) (string, error) {
	f, ok := g.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", withHint(usagef("field %q has no value and there is no terminal to ask on", field),
			fmt.Sprintf("give it as %s=@FILE or %s=- (stdin)", field, field))
	}
	fmt.Fprintf(g.stderr, "%s: ", field)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.stderr)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// literalFields lists the fields a type lets the command line carry.
func literalFields(t *types.Type) []string {
	var out []string
	for _, f := range t.Fields() {
		if !t.Sensitive(f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

const kvFieldsHelp = `The value is a JSON object from stdin or -f FILE, or is built from FIELD
arguments:

  FIELD=@FILE   the field's value is FILE's content (one trailing newline dropped)
  FIELD=-       the field's value is stdin (one field only)
  FIELD         ward asks for the value on the terminal, without echo
  FIELD=VALUE   a literal: only for fields the secret's type marks
                "x-ward-sensitive": false (like postgres's host and port)

A value on the command line lands in shell history and the process list, so
ward refuses a literal for every other field, and for every field of a
secret without a type.`

// kvWriteArgs takes the secret path and the FIELD arguments after it.
func kvWriteArgs(o *kvOpts) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("give the secret path, like payments/db")
		}
		if err := kvPathArgs(o)(cmd, args[:1]); err != nil {
			return err
		}
		o.fields = args[1:]
		if len(o.fields) > 0 && cmd.Flags().Changed("file") {
			return usagef("give the value as -f FILE or as FIELD arguments, not both")
		}
		return nil
	}
}

// writeData is the JSON object kv put or patch sends: from stdin or -f, or
// built from FIELD arguments under the argv rule.
func writeData(ctx context.Context, g *globals, c *client.Client, o *kvOpts) (json.RawMessage, error) {
	if len(o.fields) == 0 {
		return readObject(g, o.file)
	}
	fields, err := parseFieldArgs(o.fields)
	if err != nil {
		return nil, err
	}
	t, typeName, err := secretType(ctx, g, c, o.env, o.path)
	if err != nil {
		return nil, err
	}
	if err := checkLiterals(fields, t, typeName, o.env, o.path); err != nil {
		return nil, err
	}
	return fieldsObject(g, fields, t)
}

// kvWriteError adds a hint to a write the server refused for its type.
func kvWriteError(g *globals, err error, o *kvOpts) error {
	var re *client.ResponseError
	if errors.As(err, &re) && re.StatusCode == 400 && len(re.Errors) > 0 && strings.Contains(re.Errors[0], o.env+"/"+o.path+": field ") {
		return withHint(err, fmt.Sprintf("the secret's type sets these rules: 'ward kv metadata get --env %s %s' names it, 'ward type read TYPE' prints its schema", o.env, o.path))
	}
	return g.apiError(err)
}
