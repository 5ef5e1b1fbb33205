package codegen

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"github.com/wardhq/ward/internal/pattern"
)

//go:embed runtime/runtime.rs.txt
var rustRuntime string

//go:embed runtime/formats.rs.txt
var rustFormatsRuntime string

//go:embed runtime/ec.rs.txt
var rustECRuntime string

//go:embed runtime/x509ext.rs.txt
var rustX509ExtRuntime string

var rustKinds = map[string]string{"string": "String", "integer": "i64", "number": "f64", "boolean": "bool"}
var rustConv = map[string]string{"string": "as_str", "integer": "as_i64", "number": "as_f64", "boolean": "as_bool"}

// rustWriter collects the statics a Rust loader needs.
type rustWriter struct {
	dfas  bytes.Buffer
	ndfas int
}

func (m *model) rust() ([]byte, error) {
	var names, what []string
	for _, e := range m.entries {
		names, what = append(names, rustName(e.Words)), append(what, e.Name)
	}
	if err := uniqueNames(names, what); err != nil {
		return nil, err
	}
	rw := &rustWriter{}
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s", m.header("//"))
	w("//! Loads the secrets that component %s of %s reads, as `ward run`\n", m.opts.Component.Name, m.manifestName())
	w("//! provides them, and checks each against the rules of its type, as the\n//! ward server does. The standard library only. Call it once at start-up:\n//!\n")
	w("//! ```ignore\n//! let s = secrets::Secrets::load()?; // the error names the variable, field and rule; never a value\n//! ```\n//!\n")
	w("//! Sensitive values are `Secret`s: `Debug` and `Display` print `[redacted]`;\n//! `reveal` returns them.\n#![allow(dead_code)]\n\nuse std::fmt;\n\n")
	w("/// The values component %s reads.\n#[derive(Debug, Clone)]\npub struct Secrets {\n", m.opts.Component.Name)
	for i, e := range m.entries {
		w("    /// %s\n    pub %s: %s,\n", e.describe(), names[i], m.rustFieldType(e))
	}
	w("}\n\n")
	for _, t := range m.types {
		m.rustType(&b, t)
	}
	w("impl Secrets {\n    /// Reads the secrets from the environment and $WARD_SECRETS_DIR and\n    /// checks each; the error lists every problem.\n")
	w("    pub fn load() -> Result<Secrets, Error> {\n        let mut src = Source::new();\n")
	for i, e := range m.entries {
		var decode, value string
		bind := "v"
		switch e.Kind {
		case "object":
			decode, value = fmt.Sprintf("%s::parse_one(&t)", rustTypeName(e.TypeName)), "v"
		case "json":
			decode, value, bind = "decode_object(&t, &ANY)", "t.clone()", "_"
		default:
			schema := "None"
			if e.Schema != nil {
				schema = fmt.Sprintf("TYPE_%s.prop(%s)", rustStatic(e.TypeName), rustStr(e.Field))
			}
			decode, value = fmt.Sprintf("decode_field(&t, %s, %s)", rustStr(e.Kind), schema), rustConv[e.Kind]+"(&v)"
		}
		if e.Sensitive && e.Kind != "object" {
			value = "Secret(" + value + ")"
		}
		w("        let %s = match src.get(%s, %v, %v) {\n", names[i], rustStr(e.Name), e.File, e.Optional)
		w("            (w, Some(t)) => match %s {\n                Ok(%s) => Some(%s),\n                Err(p) => {\n                    src.fail(w, p);\n                    None\n                }\n            },\n            _ => None,\n        };\n", decode, bind, value)
	}
	w("        if !src.problems.is_empty() {\n            return Err(Error { problems: src.problems });\n        }\n        Ok(Secrets {\n")
	for i, e := range m.entries {
		if e.Optional {
			w("            %s,\n", names[i])
		} else {
			w("            %s: %s.expect(\"a problem was recorded\"),\n", names[i], names[i])
		}
	}
	w("        })\n    }\n}\n\n")
	for _, t := range m.schemas {
		s, err := rw.schema(t.Schema)
		if err != nil {
			return nil, err
		}
		w("static TYPE_%s: Schema = %s;\n\n", rustStatic(t.Name), s)
	}
	b.Write(rw.dfas.Bytes())
	b.WriteString(rustRuntime)
	b.WriteString(rustFormatsRuntime)
	b.WriteString(rustECRuntime)
	b.WriteString(rustX509ExtRuntime)
	return b.Bytes(), nil
}

func (m *model) rustFieldType(e entry) string {
	t := rustKinds[e.Kind]
	switch {
	case e.Kind == "object":
		t = rustTypeName(e.TypeName)
	case e.Kind == "json":
		t = "Secret<String>"
	case e.Sensitive:
		t = "Secret<" + t + ">"
	}
	if e.Optional {
		t = "Option<" + t + ">"
	}
	return t
}

func (m *model) rustType(b *bytes.Buffer, t *typeDef) {
	name := rustTypeName(t.Name)
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("/// A secret of type %s.\n#[derive(Debug, Clone)]\npub struct %s {\n", t.Name, name)
	for _, p := range t.Schema.Props {
		typ := rustKinds[p.Schema.Kind()]
		if p.Schema.Sensitive {
			typ = "Secret<" + typ + ">"
		}
		if !t.Schema.required(p.Name) {
			typ = "Option<" + typ + ">"
		}
		w("    /// Field %q: %s.\n    pub %s: %s,\n", p.Name, strings.ReplaceAll(p.Schema.describe(), "`", "'"), rustName(words(p.Name)), typ)
	}
	w("}\n\nimpl %s {\n    /// Checks a secret's JSON against type %s and decodes it.\n", name, t.Name)
	w("    pub fn parse(text: &str) -> Result<%s, Error> {\n        %s::parse_one(text).map_err(|p| Error { problems: vec![p] })\n    }\n\n", name, name)
	w("    fn parse_one(text: &str) -> Result<%s, Problem> {\n        let v = decode_object(text, &TYPE_%s)?;\n        Ok(%s {\n", name, rustStatic(t.Name), name)
	for _, p := range t.Schema.Props {
		conv := rustConv[p.Schema.Kind()]
		val := conv + "(x)"
		if p.Schema.Sensitive {
			val = "Secret(" + val + ")"
		}
		get := fmt.Sprintf("v.get(%s).map(|x| %s)", rustStr(p.Name), val)
		if t.Schema.required(p.Name) {
			get += ".expect(\"checked: required\")"
		}
		w("            %s: %s,\n", rustName(words(p.Name)), get)
	}
	w("        })\n    }\n}\n\n")
}

func rustStatic(name string) string {
	return strings.ToUpper(strings.Join(words(name), "_"))
}

// rustStr is s as a Rust string literal.
func rustStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func rustStrs(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = rustStr(s)
	}
	return "&[" + strings.Join(q, ", ") + "]"
}

func rustOpt(s string) string {
	if s == "" {
		return "None"
	}
	return "Some(" + rustStr(s) + ")"
}

// schema writes s as a Schema expression, its patterns as DFA statics.
func (rw *rustWriter) schema(s *Schema) (string, error) {
	if s == nil {
		return "None", nil
	}
	var f []string
	add := func(format string, args ...any) { f = append(f, fmt.Sprintf(format, args...)) }
	if s.Types != nil {
		add("types: Some(%s)", rustStrs(s.Types))
	} else {
		add("types: None")
	}
	add("min_len: %d, max_len: %d", s.MinLength, s.MaxLength)
	if s.DFA != nil {
		add("pattern: Some((%s, &%s))", rustStr(s.Pattern), rw.dfa(s.DFA))
	} else {
		add("pattern: None")
	}
	add("format: %s", rustOpt(s.Format))
	if s.Enum != nil {
		add("enm: Some(%s)", rustStrs(s.Enum))
	} else {
		add("enm: None")
	}
	konst := ""
	if s.Const != nil {
		add("konst: Some(%s)", rustStr(*s.Const))
	} else {
		add("konst: None%s", konst)
	}
	add("min: %s, max: %s, xmin: %s, xmax: %s", rustOpt(s.Minimum), rustOpt(s.Maximum), rustOpt(s.ExclusiveMinimum), rustOpt(s.ExclusiveMaximum))
	var ps []string
	for _, p := range s.Props {
		sub, err := rw.schema(p.Schema)
		if err != nil {
			return "", err
		}
		ps = append(ps, fmt.Sprintf("(%s, &%s)", rustStr(p.Name), sub))
	}
	add("props: &[%s]", strings.Join(ps, ", "))
	add("required: %s", rustStrs(s.Required))
	add("no_extra: %v", s.NoExtra)
	if s.If != nil {
		i, _ := rw.schema(s.If)
		t, _ := rw.schema(s.Then)
		e, _ := rw.schema(s.Else)
		opt := func(x string) string {
			if x == "None" {
				return x
			}
			return "Some(&" + x + ")"
		}
		add("cond: Some((&%s, %s, %s))", i, opt(t), opt(e))
	} else {
		add("cond: None")
	}
	if s.TLSPair != nil {
		add("tls_pair: Some((%s, %s))", rustStr(s.TLSPair[0]), rustStr(s.TLSPair[1]))
	} else {
		add("tls_pair: None")
	}
	return "Schema { " + strings.Join(f, ", ") + " }", nil
}

// dfa writes d as a static and returns its name.
func (rw *rustWriter) dfa(d *pattern.DFA) string {
	name := fmt.Sprintf("DFA_%d", rw.ndfas)
	rw.ndfas++
	var now, end, offs, trans []string
	n := 0
	for _, s := range d.States {
		now = append(now, fmt.Sprint(s.AcceptNow))
		end = append(end, fmt.Sprint(s.AcceptAtEnd))
		offs = append(offs, fmt.Sprint(n))
		for _, t := range s.Trans {
			trans = append(trans, fmt.Sprintf("(%d, %d, %d)", t.Lo, t.Hi, t.Next))
			n++
		}
	}
	offs = append(offs, fmt.Sprint(n))
	fmt.Fprintf(&rw.dfas, "// The pattern %s, as a DFA over code points.\nstatic %s: Dfa = Dfa {\n    start: %d,\n    accept_now: &[%s],\n    accept_end: &[%s],\n    offsets: &[%s],\n    trans: &[%s],\n};\n\n",
		strings.ReplaceAll(d.Pattern, "\n", `\n`), name, d.Start, strings.Join(now, ", "), strings.Join(end, ", "), strings.Join(offs, ", "), strings.Join(trans, ", "))
	return name
}
