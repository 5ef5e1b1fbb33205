package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/wardhq/ward/internal/suggest"
)

// The server config file (ward server --config FILE) is one YAML mapping
// whose keys are the names of ward server's flags, without their dashes:
//
//	listen: 0.0.0.0:8200
//	data: /var/lib/ward
//	tls-cert: /etc/ward/tls/cert.pem
//
// The keys are read from the command's flag set, so a flag added to ward
// server is a key at once; flags marked cliOnly (--config itself, --check)
// are not. A flag given on the command line wins over the file. Decoding is
// strict: an unknown key, a value of the wrong type, a repeated key, YAML
// anchors, aliases and tags are errors at FILE:LINE:COL.
//
// Secrets never go in the file: a key that would carry one inline (the
// inline form of a -file flag, such as storage-dsn beside storage-dsn-file,
// or a flag marked secretFlag) is refused, and so is a value that looks like
// a secret itself (a PEM block, a URL with a password). Messages never quote
// a value.

// Flag annotations that take a flag out of the config file.
const (
	annotCLIOnly = "ward.cli-only" // given on the command line only
	annotSecret  = "ward.secret"   // carries a secret inline: command line or environment only
)

// cliOnly marks flags that the config file cannot set.
func cliOnly(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		fs.SetAnnotation(n, annotCLIOnly, []string{"true"})
	}
}

// configKeys returns the flags that the config file can set, by name.
func configKeys(fs *pflag.FlagSet) []*pflag.Flag {
	var out []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Annotations[annotCLIOnly] == nil {
			out = append(out, f)
		}
	})
	return out
}

// configProblem is one mistake in a config file, at a 1-based line and column.
type configProblem struct {
	Line, Column int
	Msg          string
}

// configError lists every problem found in a config file, by line.
type configError struct {
	File     string
	Problems []configProblem
}

func (e *configError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\nward: ")
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s", e.File, p.Line, p.Column, p.Msg)
	}
	return b.String()
}

// configSource says where each setting came from, for --check.
type configSource map[string]string // flag name → "config"

// applyConfigFile reads the config file at path and sets every flag of fs
// that it names and the command line did not. It returns which flags it
// set. Its errors are usage errors.
func applyConfigFile(path string, fs *pflag.FlagSet) (configSource, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, withHint(usagef("reading the config file: %v", err), "--config names a YAML file of KEY: VALUE lines, one per flag of 'ward server'")
	}
	return applyConfig(path, src, fs)
}

// applyConfig is applyConfigFile of the text src of the file named name.
func applyConfig(name string, src []byte, fs *pflag.FlagSet) (configSource, error) {
	c := &configReader{file: name, fs: fs, set: configSource{}}
	c.read(src)
	if len(c.ps) > 0 {
		sort.SliceStable(c.ps, func(i, j int) bool {
			if c.ps[i].Line != c.ps[j].Line {
				return c.ps[i].Line < c.ps[j].Line
			}
			return c.ps[i].Column < c.ps[j].Column
		})
		return nil, withHint(&usageError{&configError{File: name, Problems: c.ps}},
			"the keys are the flags of 'ward server' without their dashes (ward server --help); docs/operating.md lists them")
	}
	return c.set, nil
}

// configReader reads one config file into a flag set.
type configReader struct {
	file string
	fs   *pflag.FlagSet
	set  configSource
	ps   []configProblem
}

func (c *configReader) add(line, col int, format string, args ...any) {
	c.ps = append(c.ps, configProblem{Line: max(line, 1), Column: max(col, 1), Msg: fmt.Sprintf(format, args...)})
}

func (c *configReader) addAt(n *yaml.Node, format string, args ...any) {
	c.add(n.Line, n.Column, format, args...)
}

func (c *configReader) read(src []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.add(1, 1, "the config file is empty; give settings as KEY: VALUE lines, like \"data: /var/lib/ward\"")
			return
		}
		c.syntax(err, src)
		return
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			c.syntax(err, src)
			return
		}
		c.addAt(&next, "a config file is one YAML document; remove the second one (after ---)")
		return
	}
	if len(doc.Content) == 0 {
		c.add(1, 1, "the config file is empty; give settings as KEY: VALUE lines, like \"data: /var/lib/ward\"")
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		c.addAt(root, "the config file must be a mapping of KEY: VALUE lines")
		return
	}
	keys := map[string]*pflag.Flag{}
	var names []string
	for _, f := range configKeys(c.fs) {
		keys[f.Name] = f
		names = append(names, f.Name)
	}
	seen := map[string]int{}
	var assign []assignment
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" || k.Style&yaml.TaggedStyle != 0 || k.Anchor != "" {
			c.addAt(k, "a key must be a plain name, like \"data\"")
			continue
		}
		if secretLike.MatchString(k.Value) {
			c.addAt(k, "a key that looks like a secret (a key or a password); secrets never go in the config file")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			c.addAt(k, "%s appears twice (first at line %d); keep one", quoteKey(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		f := keys[k.Value]
		switch {
		case c.inlineSecret(k):
			continue
		case f == nil && c.fs.Lookup(k.Value) != nil:
			c.addAt(k, "%s is given on the command line only (--%s), not in the config file", quoteKey(k.Value), k.Value)
			continue
		case f == nil:
			c.addAt(k, "unknown key %s%s", quoteKey(k.Value), closestKey(k.Value, names))
			continue
		}
		if !c.plainValue(v) {
			continue
		}
		if a, ok := c.valueOf(f, v); ok && !c.fs.Changed(f.Name) { // the command line wins
			assign = append(assign, a)
		}
	}
	if len(c.ps) > 0 {
		return
	}
	for _, a := range assign {
		c.apply(a)
	}
}

// inlineSecret refuses a key that would put a secret in the file: a flag
// marked secret, or the inline form of a -file flag.
func (c *configReader) inlineSecret(k *yaml.Node) bool {
	if f := c.fs.Lookup(k.Value); f != nil && f.Annotations[annotSecret] != nil {
		c.addAt(k, "%s carries a secret, and secrets never go in the config file; give --%s on the command line from a secret store, or its -file form", quoteKey(k.Value), f.Name)
		return true
	}
	if f := c.fs.Lookup(k.Value + "-file"); f != nil {
		c.addAt(k, "%s would put a secret in the config file; name a file that holds it with %s (mode 0600, readable by ward only)", quoteKey(k.Value), f.Name)
		return true
	}
	return false
}

// plainValue refuses YAML features that make a value differ from what it
// looks like, and a missing value.
func (c *configReader) plainValue(n *yaml.Node) bool {
	switch {
	case n.Kind == yaml.AliasNode:
		c.addAt(n, "YAML aliases (*name) are not allowed; write the value out")
	case n.Anchor != "":
		c.addAt(n, "YAML anchors (&name) are not allowed")
	case n.Style&yaml.TaggedStyle != 0:
		c.addAt(n, "YAML tags (!tag) are not allowed")
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		c.addAt(n, "no value; give one or remove the line")
	default:
		for _, item := range n.Content {
			if !c.plainValue(item) {
				return false
			}
		}
		return true
	}
	return false
}

// secretLike finds values that are secrets themselves: a PEM block or a URL
// with a password in it.
var secretLike = regexp.MustCompile(`-----BEGIN|PRIVATE KEY|[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@`)

// assignment is a value from the file for one flag, checked against the
// flag's type and set once the whole file is read without a problem.
type assignment struct {
	f     *pflag.Flag
	v     *yaml.Node
	value string   // for a single value
	items []string // for a list flag
}

// valueOf checks the value node v against f's type and returns what to set.
func (c *configReader) valueOf(f *pflag.Flag, v *yaml.Node) (assignment, bool) {
	key := quoteKey(f.Name)
	typ := f.Value.Type()
	a := assignment{f: f, v: v}
	if _, ok := f.Value.(pflag.SliceValue); ok {
		if v.Kind != yaml.SequenceNode {
			c.addAt(v, "%s is a list; write it as [a, b] or as \"- a\" lines", key)
			return a, false
		}
		a.items = make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			s, ok := c.scalarOf(item, key+" items", typ)
			if !ok {
				return a, false
			}
			a.items = append(a.items, s)
		}
		return a, true
	}
	var ok bool
	a.value, ok = c.scalarOf(v, key, typ)
	return a, ok
}

// apply sets the flag; the flag's own parser may still refuse the value.
func (c *configReader) apply(a assignment) {
	var err error
	if sv, ok := a.f.Value.(pflag.SliceValue); ok {
		err = sv.Replace(a.items)
	} else {
		err = a.f.Value.Set(a.value)
	}
	if err != nil {
		c.addAt(a.v, "%s: %v", quoteKey(a.f.Name), err)
		return
	}
	c.set[a.f.Name] = "config"
}

// scalarOf returns the text of the scalar n if its YAML type fits a flag of
// type typ (pflag's name for it), or reports why not.
func (c *configReader) scalarOf(n *yaml.Node, what, typ string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		c.addAt(n, "%s must be a single value, not a list or mapping", what)
		return "", false
	}
	if secretLike.MatchString(n.Value) {
		c.addAt(n, "the value of %s looks like a secret (a key or a password), and secrets never go in the config file; name a file that holds it", what)
		return "", false
	}
	base := strings.TrimSuffix(strings.TrimSuffix(typ, "Slice"), "Array")
	var want, example string
	switch {
	case base == "bool":
		want, example = "!!bool", "true or false"
	case strings.HasPrefix(base, "int") || strings.HasPrefix(base, "uint"):
		want, example = "!!int", "a whole number, like 5"
	case strings.HasPrefix(base, "float"):
		if n.Tag == "!!int" {
			return n.Value, true
		}
		want, example = "!!float", "a number, like 0.5"
	case base == "duration":
		want, example = "!!str", "a duration with its unit, like 15m or 90s"
	default:
		want, example = "!!str", "text; quote it if YAML reads it as a number or true/false"
	}
	if n.Tag != want {
		c.addAt(n, "%s must be %s", what, example)
		return "", false
	}
	// Some of pflag's values change even when Set fails: parse first.
	var err error
	switch {
	case base == "duration":
		_, err = time.ParseDuration(n.Value)
	case strings.HasPrefix(base, "int"):
		_, err = strconv.ParseInt(n.Value, 0, 64)
	case strings.HasPrefix(base, "uint"):
		_, err = strconv.ParseUint(n.Value, 0, 64)
	case strings.HasPrefix(base, "float"):
		_, err = strconv.ParseFloat(n.Value, 64)
	}
	if err != nil {
		c.addAt(n, "%s must be %s", what, example)
		return "", false
	}
	return n.Value, true
}

// configYAMLLine finds the line in the YAML library's syntax errors.
var configYAMLLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax reports a YAML syntax error at its line. The library counts the
// lines of its parser's errors ("did not find expected …") from 0 and those
// of its scanner's from 1.
func (c *configReader) syntax(err error, src []byte) {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 0
	if m := configYAMLLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	c.add(min(line, bytes.Count(src, []byte("\n"))+1), 1, "YAML syntax: %s", msg)
}

// quoteKey quotes a key for a message, shortened: a long key is more likely
// a value pasted in the wrong place.
func quoteKey(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:32]) + "…"
	}
	return strconv.Quote(s)
}

func closestKey(got string, known []string) string {
	if best := suggest.Closest(got, known); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	slices.Sort(known)
	return " (keys: " + strings.Join(known, ", ") + ")"
}

// serverConfigOpts are ward server's options about its options.
type serverConfigOpts struct {
	file   string // --config
	check  bool   // --check
	format format
}

func (co *serverConfigOpts) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&co.file, "config", "", "YAML file of settings, keyed by these flags' names; flags given here win")
	cmd.Flags().BoolVar(&co.check, "check", false, "check the flags and the config file, print the settings in effect, and exit")
	formatFlag(cmd, &co.format)
	cliOnly(cmd.Flags(), "config", "check", "format")
}

// serverSetting is one setting in effect, as --check prints it.
type serverSetting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	From  string `json:"from"` // "flag", "config" or "default"
}

// serverCheck is the result of ward server --check.
type serverCheck struct {
	OK       bool            `json:"ok"`
	Config   string          `json:"config,omitempty"`
	Settings []serverSetting `json:"settings"`
}

// runServerCheck checks what runServer would check before it opens the
// store (the settings, the log level, the TLS files) and prints the
// settings in effect.
func runServerCheck(g *globals, o *serveOpts, co *serverConfigOpts, fs *pflag.FlagSet, from configSource) error {
	if o.data == "" {
		return usagef("--data DIR (data: in the config file) is required: where ward keeps its store and audit log")
	}
	if err := o.identity.check(); err != nil {
		return err
	}
	if err := o.store.check(); err != nil {
		return err
	}
	if err := o.limits.check(); err != nil {
		return err
	}
	if _, err := newLogger(g, o.logLevel); err != nil {
		return err
	}
	if _, err := o.tlsConfig(); err != nil {
		return err
	}
	res := serverCheck{OK: true, Config: co.file}
	for _, f := range configKeys(fs) {
		src := "default"
		switch {
		case f.Changed:
			src = "flag"
		case from[f.Name] != "":
			src = from[f.Name]
		}
		res.Settings = append(res.Settings, serverSetting{Key: f.Name, Value: f.Value.String(), From: src})
	}
	return g.show(co.format, res, func(w io.Writer) error {
		if co.file != "" {
			fmt.Fprintf(w, "ward: %s and the flags are valid; the settings in effect:\n", co.file)
		} else {
			fmt.Fprintf(w, "ward: the flags are valid; the settings in effect:\n")
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range res.Settings {
			fmt.Fprintf(tw, "%s\t%s\t(%s)\n", s.Key, s.Value, s.From)
		}
		return tw.Flush()
	})
}
