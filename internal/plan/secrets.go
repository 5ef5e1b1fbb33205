package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardhq/ward/internal/lazyre"
)

var envNameRE = lazyre.New(`^[a-z0-9][a-z0-9-]{0,31}$`)

// envNameProblem checks an environment name's form; the server also
// refuses the names it reserves.
func envNameProblem(name string) string {
	if !envNameRE().MatchString(name) {
		return fmt.Sprintf("environment name %s: use 1 to 32 lowercase letters, digits and '-', starting with a letter or digit", quote(name))
	}
	return ""
}

// secretFields are the fields of one secret declaration.
var secretFields = append(slices.Clone(declaredKeys), "custom_metadata")

// secrets reads secrets/*.yaml: environment → path → declaration.
func (l *loader) secrets() bool {
	files, ok := l.list(SecretsDir, ".yaml", "*.yaml")
	if !ok {
		return false
	}
	for _, file := range files {
		rel := path.Join(SecretsDir, file)
		if src, ok := l.read(rel); ok && src != nil {
			l.secretsFile(rel, src)
		}
	}
	return len(files) > 0
}

// secretsFile reads one secrets file's content.
func (l *loader) secretsFile(rel string, src []byte) {
	f := &yamlFile{name: rel, ps: &l.ps}
	root := f.document(src, "declare secrets by environment and path, like prod: {payments/db: {owner: team-payments}}")
	if root == nil {
		return
	}
	for _, env := range f.pairs(root, "a secrets file", nil) {
		if msg := envNameProblem(env.key); msg != "" {
			f.add(env.k, "%s; a secrets file maps environments to secret paths", msg)
			continue
		}
		for _, kv := range f.pairs(env.v, "environment "+env.key, nil) {
			if s, ok := f.secret(env.key, kv); ok {
				l.st.Secrets = append(l.st.Secrets, s)
			}
		}
	}
}

// secret reads one declaration.
func (f *yamlFile) secret(env string, kv pair) (Secret, bool) {
	s := Secret{Env: env, Path: kv.key, Metadata: map[string]string{}, Source: Source{File: f.name, Line: kv.k.Line}}
	ok := true
	if msg := secretPathProblem(kv.key); msg != "" {
		f.add(kv.k, "%s", msg)
		ok = false
	}
	if kv.v.Kind != yaml.MappingNode {
		// Do not quote it: it may be a value pasted in place.
		f.add(kv.v, "secret %s: a declaration is a mapping of metadata, like {owner: team-payments, type: postgres}", shorten(kv.key))
		return s, false
	}
	for _, field := range f.pairs(kv.v, "secret "+shorten(kv.key), nil) {
		if msg := f.valueKey(field); msg != "" {
			ok = false
			continue
		}
		if !slices.Contains(secretFields, field.key) {
			f.add(field.k, "unknown field %s in secret %s%s; put other metadata under custom_metadata:", quote(field.key), shorten(kv.key), didYouMean(field.key, secretFields))
			ok = false
			continue
		}
		switch field.key {
		case "custom_metadata":
			ok = f.customMetadata(field.v, s.Metadata) && ok
		case KeyRecipients:
			list, good := f.list(field.v, "recipients")
			if !good {
				ok = false
				continue
			}
			ok = f.metaField(field, strings.Join(list, ","), s.Metadata) && ok
		default:
			v, good := f.scalar(field.v, field.key)
			if !good {
				ok = false
				continue
			}
			ok = f.metaField(field, v, s.Metadata) && ok
		}
	}
	return s, ok
}

// valueKey refuses a key that would hold a secret's value, and says so.
func (f *yamlFile) valueKey(kv pair) string {
	if slices.Contains(valueKeys, strings.ToLower(kv.key)) {
		msg := metaKeyProblem(kv.key)
		f.add(kv.k, "%s", msg)
		return msg
	}
	return ""
}

func (f *yamlFile) metaField(field pair, value string, into map[string]string) bool {
	if msg := metaValueProblem(field.key, value); msg != "" {
		f.add(field.v, "%s", msg)
		return false
	}
	into[field.key] = value
	return true
}

// customMetadata reads custom_metadata: key: value pairs beside the fields
// that have names of their own.
func (f *yamlFile) customMetadata(n *yaml.Node, into map[string]string) bool {
	ok := true
	for _, kv := range f.pairs(n, "custom_metadata", nil) {
		if slices.Contains(declaredKeys, kv.key) {
			f.add(kv.k, "%s has a field of its own; write it beside custom_metadata:, not inside", kv.key)
			ok = false
			continue
		}
		if msg := metaKeyProblem(kv.key); msg != "" {
			f.add(kv.k, "%s", msg)
			ok = false
			continue
		}
		v, good := f.scalar(kv.v, "custom_metadata "+kv.key)
		if !good {
			ok = false
			continue
		}
		ok = f.metaField(kv, v, into) && ok
	}
	return ok
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:32] + "…"
	}
	return s
}
