package manifest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse parses and validates a manifest. name is how problems name the
// file (usually "ward.yaml"). The error, if any, is an *Error with every
// problem found, sorted by line.
func Parse(name string, src []byte) (*Manifest, error) {
	p := &parser{}
	root := p.document(src)
	if root == nil {
		return nil, p.ps.err(name)
	}
	p.refuseYAMLFeatures(root)
	m := p.manifest(root)
	if err := p.ps.err(name); err != nil {
		return nil, err
	}
	return m, nil
}

type parser struct{ ps problems }

// yamlLine finds the line in the YAML library's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document decodes src into one YAML document's root node.
func (p *parser) document(src []byte) *yaml.Node {
	dec := yaml.NewDecoder(strings.NewReader(string(src)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.ps.add(1, 1, "the manifest is empty; start it with \"version: 1\" and \"components:\"")
			return nil
		}
		p.syntax(err)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		line := next.Line
		if err != nil {
			p.syntax(err)
			return nil
		}
		p.ps.add(line, next.Column, "a manifest is one YAML document; remove the second one (after ---)")
		return nil
	}
	if len(doc.Content) == 0 {
		p.ps.add(1, 1, "the manifest is empty; start it with \"version: 1\" and \"components:\"")
		return nil
	}
	return doc.Content[0]
}

// parserErrors are the YAML library's parser errors (as opposed to its
// scanner's), whose line it reports counted from 0.
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected <document start>": true,
	"did not find expected <stream-start>": true, "did not find expected key": true,
	"did not find expected node content": true, "found duplicate %TAG directive": true,
	"found duplicate %YAML directive": true, "found incompatible YAML document": true,
	"found undefined tag handle": true,
}

func (p *parser) syntax(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if parserErrors[msg] {
		line++
	}
	p.ps.add(line, 1, "YAML syntax: %s", msg)
}

// refuseYAMLFeatures refuses anchors, aliases, merge keys and explicit tags
// anywhere: a manifest is read by people reviewing a change, and each of
// these makes what it says differ from what it looks like.
func (p *parser) refuseYAMLFeatures(n *yaml.Node) {
	switch {
	case n.Kind == yaml.AliasNode:
		p.ps.add(n.Line, n.Column, "YAML aliases (*name) are not allowed; write the entry out")
		return
	case n.Anchor != "":
		p.ps.add(n.Line, n.Column, "YAML anchors (&name) are not allowed; write each entry out")
	case n.Style&yaml.TaggedStyle != 0:
		p.ps.add(n.Line, n.Column, "YAML tags (!tag) are not allowed")
	case n.Tag == "!!merge":
		p.ps.add(n.Line, n.Column, "YAML merge keys (<<) are not allowed; write each entry out")
	}
	for _, c := range n.Content {
		p.refuseYAMLFeatures(c)
	}
}

// pair is one key and value of a mapping.
type pair struct {
	key  string
	k, v *yaml.Node
}

// pairs returns a mapping's entries, refusing duplicate keys and, when
// known is not nil, keys outside known. what names the mapping in messages.
func (p *parser) pairs(n *yaml.Node, what string, known []string) []pair {
	if n.Kind != yaml.MappingNode {
		p.ps.add(n.Line, n.Column, "%s must be a mapping (key: value lines)", what)
		return nil
	}
	seen := map[string]int{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			p.ps.add(k.Line, k.Column, "a key in %s must be a plain name", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.ps.add(k.Line, k.Column, "duplicate key %s in %s (first at line %d)", quoteName(k.Value), what, first)
			continue
		}
		seen[k.Value] = k.Line
		if known != nil && !contains(known, k.Value) {
			p.ps.add(k.Line, k.Column, "unknown field %s in %s%s", quoteName(k.Value), what, unknownHint(k.Value, known))
			continue
		}
		out = append(out, pair{key: k.Value, k: k, v: v})
	}
	return out
}

// unknownHint suggests a known field, or where a misplaced entry belongs.
func unknownHint(got string, known []string) string {
	if s := didYouMean(got, known); s != "" {
		return s
	}
	if contains(known, "env") && checkEnvName(got) == "" {
		return "; env vars go under env:"
	}
	if contains(known, "files") && strings.ContainsAny(got, "./") {
		return "; files go under files:"
	}
	return fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar returns a non-null scalar's text, or reports that it is not one.
func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.ps.add(n.Line, n.Column, "%s must be a single value", what)
		return "", false
	}
	return n.Value, true
}

func (p *parser) manifest(root *yaml.Node) *Manifest {
	m := &Manifest{Components: map[string]*Component{}}
	var haveVersion, haveComponents bool
	for _, kv := range p.pairs(root, "the manifest", []string{"version", "components"}) {
		switch kv.key {
		case "version":
			haveVersion = true
			if kv.v.Kind != yaml.ScalarNode || kv.v.Tag != "!!int" || kv.v.Value != "1" {
				p.ps.add(kv.v.Line, kv.v.Column, "version must be 1, the only manifest version ward knows")
				continue
			}
			m.Version = 1
		case "components":
			haveComponents = true
			p.components(kv.v, m)
		}
	}
	if root.Kind == yaml.MappingNode {
		if !haveVersion {
			p.ps.add(root.Line, root.Column, "missing version; add \"version: 1\" at the top")
		}
		if !haveComponents {
			p.ps.add(root.Line, root.Column, "missing components; declare at least one, like \"components: {api: {language: go, env: {...}}}\"")
		}
	}
	return m
}

func (p *parser) components(n *yaml.Node, m *Manifest) {
	entries := p.pairs(n, "components", nil)
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.ps.add(n.Line, n.Column, "components is empty; declare at least one")
	}
	for _, kv := range entries {
		if msg := checkComponentName(kv.key); msg != "" {
			p.ps.add(kv.k.Line, kv.k.Column, "%s", msg)
			continue
		}
		if c := p.component(kv); c != nil {
			m.Components[c.Name] = c
		}
	}
}

func (p *parser) component(kv pair) *Component {
	c := &Component{Name: kv.key}
	what := "component " + kv.key
	var haveLanguage bool
	declared := 0
	for _, f := range p.pairs(kv.v, what, []string{"language", "env", "files", "reload"}) {
		switch f.key {
		case "reload":
			c.Reload = p.reload(f.v, what)
		case "language":
			haveLanguage = true
			if s, ok := p.scalar(f.v, "language"); ok {
				if msg := checkLanguage(s); msg != "" {
					p.ps.add(f.v.Line, f.v.Column, "%s", msg)
				}
				c.Language = s
			}
		case "env":
			declared += len(f.v.Content) / 2
			for _, e := range p.pairs(f.v, what+" env", nil) {
				if v, ok := p.envVar(e); ok {
					c.Env = append(c.Env, v)
				}
			}
		case "files":
			declared += len(f.v.Content) / 2
			for _, e := range p.pairs(f.v, what+" files", nil) {
				if v, ok := p.file(e); ok {
					c.Files = append(c.Files, v)
				}
			}
		}
	}
	if kv.v.Kind != yaml.MappingNode {
		return nil
	}
	if !haveLanguage {
		p.ps.add(kv.k.Line, kv.k.Column, "%s: missing language (go, rust or other)", what)
	}
	if declared == 0 {
		p.ps.add(kv.k.Line, kv.k.Column, "%s declares no secrets; add env: or files:", what)
	}
	sort.Slice(c.Env, func(i, j int) bool { return c.Env[i].Name < c.Env[j].Name })
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	p.fileCollisions(c)
	p.typeConflicts(c)
	return c
}

// source is what an env var and a file have in common.
type source struct {
	from, field, typ, mode string
	optional               bool
	modeNode               *yaml.Node
}

// source reads an entry {from, field, type, optional[, mode]}.
func (p *parser) source(kv pair, what string, known []string) (source, bool) {
	var s source
	if kv.v.Kind != yaml.MappingNode {
		// Do not quote the value: it may be a secret pasted in place.
		p.ps.add(kv.v.Line, kv.v.Column, "%s must be a mapping like {from: payments/db, field: password}", what)
		return s, false
	}
	ok, haveFrom := true, false
	for _, f := range p.pairs(kv.v, what, known) {
		haveFrom = haveFrom || f.key == "from"
		if f.key == "optional" {
			if f.v.Kind != yaml.ScalarNode || f.v.Tag != "!!bool" {
				p.ps.add(f.v.Line, f.v.Column, "%s: optional must be true or false", what)
				ok = false
			} else {
				s.optional = f.v.Value == "true"
			}
			continue
		}
		v, good := p.scalar(f.v, what+": "+f.key)
		if !good {
			ok = false
			continue
		}
		var msg string
		switch f.key {
		case "from":
			s.from, msg = v, checkSecretPath(v)
		case "field":
			s.field, msg = v, checkField(v)
		case "type":
			s.typ, msg = v, checkType(v)
		case "mode":
			s.mode, s.modeNode = v, f.v
		}
		if msg != "" {
			p.ps.add(f.v.Line, f.v.Column, "%s: %s", what, msg)
			ok = false
		}
	}
	if !haveFrom {
		p.ps.add(kv.k.Line, kv.k.Column, "%s: missing from, the secret's path (like payments/db)", what)
		ok = false
	}
	return s, ok
}

func (p *parser) envVar(kv pair) (EnvVar, bool) {
	ok := true
	if msg := checkEnvName(kv.key); msg != "" {
		p.ps.add(kv.k.Line, kv.k.Column, "%s", msg)
		ok = false
	}
	s, good := p.source(kv, "env var "+shortName(kv.key), []string{"from", "field", "type", "optional"})
	return EnvVar{Name: kv.key, From: s.from, Field: s.field, Type: s.typ, Optional: s.optional, Line: kv.k.Line}, ok && good
}

func (p *parser) file(kv pair) (File, bool) {
	ok := true
	if msg := checkFilePath(kv.key); msg != "" {
		p.ps.add(kv.k.Line, kv.k.Column, "%s", msg)
		ok = false
	}
	s, good := p.source(kv, "file "+shortName(kv.key), []string{"from", "field", "type", "mode", "optional"})
	mode := DefaultMode
	if s.modeNode != nil {
		m, msg := checkMode(s.mode)
		if msg != "" {
			p.ps.add(s.modeNode.Line, s.modeNode.Column, "file %s: %s", shortName(kv.key), msg)
			ok = false
		}
		mode = m
	}
	return File{Path: kv.key, From: s.from, Field: s.field, Type: s.typ, Mode: mode, Optional: s.optional, Line: kv.k.Line}, ok && good
}

// typeConflicts refuses two entries that read one secret and name
// different types for it: a secret has one type.
func (p *parser) typeConflicts(c *Component) {
	type typed struct {
		what, from, typ string
		line            int
	}
	var all []typed
	for _, e := range c.Env {
		if e.Type != "" {
			all = append(all, typed{"env var " + e.Name, e.From, e.Type, e.Line})
		}
	}
	for _, f := range c.Files {
		if f.Type != "" {
			all = append(all, typed{"file " + quoteName(f.Path), f.From, f.Type, f.Line})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].line < all[j].line })
	first := map[string]typed{}
	for _, t := range all {
		prev, seen := first[t.from]
		switch {
		case !seen:
			first[t.from] = t
		case prev.typ != t.typ:
			p.ps.add(t.line, 1, "%s names type %s for %s, but %s (line %d) names type %s; a secret has one type", t.what, t.typ, t.from, prev.what, prev.line, prev.typ)
		}
	}
}

// fileCollisions refuses two files where one would be the other's
// directory, or that differ only in case (one file on macOS and Windows).
func (p *parser) fileCollisions(c *Component) {
	byLine := append([]File(nil), c.Files...)
	sort.Slice(byLine, func(i, j int) bool { return byLine[i].Line < byLine[j].Line })
	lower := map[string]File{}
	for _, f := range byLine {
		if prev, dup := lower[strings.ToLower(f.Path)]; dup {
			p.ps.add(f.Line, 1, "file %s differs from file %s (line %d) only in case", quoteName(f.Path), quoteName(prev.Path), prev.Line)
		}
		lower[strings.ToLower(f.Path)] = f
	}
	for _, f := range c.Files {
		for dir := parentDir(f.Path); dir != ""; dir = parentDir(dir) {
			if other, clash := lower[strings.ToLower(dir)]; clash {
				p.ps.add(f.Line, 1, "file %s would be inside file %s (line %d); rename one", quoteName(f.Path), quoteName(other.Path), other.Line)
			}
		}
	}
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return ""
}

func shortName(s string) string {
	if len(s) > 40 {
		return s[:32] + "…"
	}
	return s
}
