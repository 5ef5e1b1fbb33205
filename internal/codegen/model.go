package codegen

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"unicode"

	"github.com/wardhq/ward/internal/manifest"
)

// Lang is a language codegen writes.
type Lang string

// The languages.
const (
	Go   Lang = "go"
	Rust Lang = "rust"
)

// TypeSource returns the JSON Schema of a type by name, or an error that
// says where it looked.
type TypeSource func(name string) ([]byte, error)

// Options say what to generate.
type Options struct {
	Lang      Lang
	Component *manifest.Component
	Types     TypeSource
	Package   string // Go package name; "" is "secrets"
	Manifest  string // the manifest's path, for the header comment
}

// ErrNoField is wrapped when a manifest entry names a field its type lacks.
var ErrNoField = errors.New("the type has no such field")

// entry is one env var or file of the component, as a loader reads it.
type entry struct {
	Name      string // the env var, or the file's path under $WARD_SECRETS_DIR
	File      bool
	From      string
	Field     string
	TypeName  string
	Optional  bool
	Words     []string // for identifiers
	Kind      string   // string, integer, number, boolean (a field); object (a typed secret); json (an untyped secret)
	Schema    *Schema  // the field's or the type's; nil when the manifest names no type
	Sensitive bool
}

// model is what both languages' writers need.
type model struct {
	opts    Options
	entries []entry
	types   []*typeDef // the types read whole, by name
	schemas []*typeDef // every type an entry names, by name
}

type typeDef struct {
	Name   string
	Schema *Schema
}

func build(opts Options) (*model, error) {
	if opts.Lang != Go && opts.Lang != Rust {
		return nil, fmt.Errorf("unknown language %q: ward codegen writes go or rust", opts.Lang)
	}
	m := &model{opts: opts}
	schemas := map[string]*Schema{}
	schemaOf := func(name string) (*Schema, error) {
		if s, ok := schemas[name]; ok {
			return s, nil
		}
		src, err := opts.Types(name)
		if err != nil {
			return nil, err
		}
		s, err := ParseSchema(name, src)
		if err != nil {
			return nil, err
		}
		schemas[name] = s
		m.schemas = append(m.schemas, &typeDef{Name: name, Schema: s})
		slices.SortFunc(m.schemas, func(a, b *typeDef) int { return strings.Compare(a.Name, b.Name) })
		return s, nil
	}
	c := opts.Component
	add := func(e entry) error {
		e.Sensitive = true
		switch {
		case e.TypeName == "" && e.Field == "":
			e.Kind = "json"
		case e.TypeName == "":
			e.Kind = "string"
		default:
			s, err := schemaOf(e.TypeName)
			if err != nil {
				return err
			}
			if e.Field == "" {
				if err := m.addType(e.TypeName, s); err != nil {
					return err
				}
				e.Kind, e.Schema = "object", s
				break
			}
			p := s.Prop(e.Field)
			if p == nil {
				return fmt.Errorf("%s reads field %q of %s, but type %s has no such field: %w", e.Name, e.Field, e.From, e.TypeName, ErrNoField)
			}
			if err := checkNative(e.TypeName, e.Field, p); err != nil {
				return err
			}
			e.Kind, e.Schema, e.Sensitive = p.Kind(), p, p.Sensitive
		}
		m.entries = append(m.entries, e)
		return nil
	}
	for _, v := range c.Env {
		if err := add(entry{Name: v.Name, From: v.From, Field: v.Field, TypeName: v.Type, Optional: v.Optional, Words: words(v.Name)}); err != nil {
			return nil, err
		}
	}
	for _, f := range c.Files {
		if err := add(entry{Name: f.Path, File: true, From: f.From, Field: f.Field, TypeName: f.Type, Optional: f.Optional, Words: append(words(f.Path), "file")}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *model) addType(name string, s *Schema) error {
	for _, t := range m.types {
		if t.Name == name {
			return nil
		}
	}
	for _, p := range s.Props {
		if err := checkNative(name, p.Name, p.Schema); err != nil {
			return err
		}
	}
	m.types = append(m.types, &typeDef{Name: name, Schema: s})
	slices.SortFunc(m.types, func(a, b *typeDef) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// int64Range bounds integers a loader gives a native 64-bit type.
var int64Min, int64Max = big.NewRat(-1<<63, 1), new(big.Rat).SetUint64(1<<63 - 1)

// checkNative refuses a field a loader cannot give a native type: one of
// no single scalar kind, or an integer not bounded to 64 bits.
func checkNative(typ, field string, s *Schema) error {
	switch s.Kind() {
	case "":
		return &UnsupportedError{Type: typ, Pointer: "/properties/" + field, Keyword: "type",
			Reason: "a loader gives each field a native type, so the field must be one of string, integer, number or boolean (or a string enum)"}
	case "integer":
		lo, hi := s.Minimum, s.Maximum
		if lo == "" {
			lo = s.ExclusiveMinimum
		}
		if hi == "" {
			hi = s.ExclusiveMaximum
		}
		for _, b := range []string{lo, hi} {
			r, ok := new(big.Rat).SetString(b)
			if b == "" || !ok || r.Cmp(int64Min) < 0 || r.Cmp(int64Max) > 0 {
				return &UnsupportedError{Type: typ, Pointer: "/properties/" + field, Keyword: "type",
					Reason: "an integer field needs a minimum and a maximum within 64 bits, so that every value the server accepts fits a loader's int64"}
			}
		}
	}
	return nil
}

// words splits a name into lowercase words: DB_PASSWORD, db/password.
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, strings.ToLower(w))
	}
	return out
}

var initialisms = map[string]bool{
	"api": true, "aws": true, "ca": true, "db": true, "dns": true, "dsn": true, "http": true, "https": true,
	"id": true, "ip": true, "json": true, "jwt": true, "pem": true, "sql": true, "ssh": true, "ssl": true,
	"tls": true, "ttl": true, "uri": true, "url": true, "uuid": true,
}

// goName is words as an exported Go identifier: DBPassword, SSLMode.
func goName(ws []string) string {
	var b strings.Builder
	for _, w := range ws {
		switch {
		case initialisms[w]:
			b.WriteString(strings.ToUpper(w))
		case w == "sslmode":
			b.WriteString("SSLMode")
		default:
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	n := b.String()
	if n == "" || unicode.IsDigit(rune(n[0])) {
		n = "X" + n
	}
	return n
}

// rustName is words as a Rust field: db_password.
func rustName(ws []string) string {
	n := strings.Join(ws, "_")
	if n == "" || unicode.IsDigit(rune(n[0])) {
		n = "x_" + n
	}
	switch n {
	case "type", "match", "ref", "self", "mod", "fn", "struct", "enum", "impl", "use", "crate", "super", "loop", "move", "where", "async", "await", "dyn", "in", "let", "mut", "pub", "static", "trait", "unsafe", "as", "box", "const", "else", "extern", "false", "true", "for", "if", "return", "while", "break", "continue":
		n = "r#" + n
	}
	return n
}

// The loaders' own type names, which a secret type's must not take.
var (
	goReserved   = map[string]bool{"Secret": true, "Secrets": true, "Error": true}
	rustReserved = map[string]bool{"Secret": true, "Secrets": true, "Error": true, "Problem": true, "Schema": true, "Dfa": true, "Json": true, "Dec": true, "Parser": true, "Source": true}
)

// goTypeName is a type's name as a Go type: APIToken; PasswordType for
// a type that would take a name of the loader's own.
func goTypeName(name string) string {
	n := goName(words(name))
	if goReserved[n] {
		n += "Type"
	}
	return n
}

// rustTypeName is a type's name as a Rust type: ApiToken.
func rustTypeName(name string) string {
	var b strings.Builder
	for _, w := range words(name) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	n := b.String()
	if n == "" || unicode.IsDigit(rune(n[0])) {
		n = "T" + n
	}
	if rustReserved[n] {
		n += "Type"
	}
	return n
}

// uniqueNames fails when two entries get one identifier.
func uniqueNames(names []string, what []string) error {
	seen := map[string]string{}
	for i, n := range names {
		if prev, ok := seen[n]; ok {
			return fmt.Errorf("%s and %s both become the identifier %s; rename one in the manifest", prev, what[i], n)
		}
		seen[n] = what[i]
	}
	return nil
}
