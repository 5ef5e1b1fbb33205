package plan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/policy"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds each file Load reads, in bytes.
const MaxFileSize = 1 << 20

// The parts of a directory.
const (
	EnvironmentsFile = "environments.yaml"
	PoliciesDir      = "policies"
	TypesDir         = "types"
	SecretsDir       = "secrets"
	schemaExt        = ".schema.json"
)

// ErrNothingDeclared is returned by Load for a directory with none of the
// parts it reads.
var ErrNothingDeclared = errors.New("the directory declares nothing")

// Load reads the directory dir into a desired State, sorted. Problems in
// its files are returned together as an *Error, each with its file
// (relative to dir) and line; a dir that cannot be read is a plain error.
func Load(dir string) (*State, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	l := &loader{dir: dir, st: &State{}}
	found := l.environments()
	found = l.policies() || found
	found = l.types() || found
	found = l.secrets() || found
	found = l.alerts() || found
	if !found {
		return nil, fmt.Errorf("%w: %s has no %s, %s/, %s/, %s/ or %s", ErrNothingDeclared, dir, EnvironmentsFile, PoliciesDir, TypesDir, SecretsDir, AlertsFile)
	}
	var known func(string) bool
	if l.st.Manages.Types {
		known = builtinType // the directory declares every type it uses
	}
	crossCheck(l.st, known, &l.ps)
	if err := l.ps.err(); err != nil {
		return nil, err
	}
	l.st.Sort()
	return l.st, nil
}

type loader struct {
	dir string
	st  *State
	ps  problems
}

// read returns the file rel (with "/") of the directory, or ok=false when
// it does not exist or cannot be read (a problem, except for not existing).
func (l *loader) read(rel string) (src []byte, exists bool) {
	f, err := os.Open(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		l.ps.add(rel, 0, 0, "cannot read the file: %v", pathless(err))
		return nil, true
	}
	defer f.Close()
	src, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		l.ps.add(rel, 0, 0, "cannot read the file: %v", pathless(err))
		return nil, true
	case len(src) > MaxFileSize:
		l.ps.add(rel, 0, 0, "the file is larger than %d KiB; split it", MaxFileSize>>10)
		return nil, true
	}
	return src, true
}

// pathless drops the path an *fs.PathError repeats.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// list returns the files of the folder sub whose names end in ext, sorted,
// and whether the folder exists. Hidden files and *.md notes are skipped;
// anything else is a problem, so that a misnamed file is not silently left
// out.
func (l *loader) list(sub, ext, example string) ([]string, bool) {
	entries, err := os.ReadDir(filepath.Join(l.dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		l.ps.add(sub+"/", 0, 0, "cannot read the folder: %v", pathless(err))
		return nil, true
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		rel := path.Join(sub, name)
		switch {
		case strings.HasPrefix(name, "."), strings.HasSuffix(name, ".md"):
		case e.IsDir():
			l.ps.add(rel+"/", 0, 0, "%s/ holds files only; move the folder's files up or out", sub)
		case !strings.HasSuffix(name, ext) || name == ext:
			l.ps.add(rel, 0, 0, "unexpected file; %s/ holds %s files", sub, example)
		default:
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, true
}

var (
	environmentsFields = []string{"environments"}
	envFields          = []string{"required_metadata", "production"}
)

// environments reads environments.yaml.
func (l *loader) environments() bool {
	src, ok := l.read(EnvironmentsFile)
	if !ok {
		return false
	}
	l.st.Manages.Envs = true
	if src != nil {
		l.environmentsFile(src)
	}
	return true
}

// environmentsFile reads environments.yaml's content.
func (l *loader) environmentsFile(src []byte) {
	f := &yamlFile{name: EnvironmentsFile, ps: &l.ps}
	root := f.document(src, "declare environments: with one entry per environment")
	if root == nil {
		return
	}
	for _, top := range f.pairs(root, "environments.yaml", environmentsFields) {
		for _, kv := range f.pairs(top.v, "environments", nil) {
			env := Env{Name: kv.key, Source: Source{File: f.name, Line: kv.k.Line}}
			if msg := envNameProblem(kv.key); msg != "" {
				f.add(kv.k, "%s", msg)
			}
			if kv.v.Tag != "!!null" {
				for _, field := range f.pairs(kv.v, "environment "+kv.key, envFields) {
					switch field.key {
					case "production":
						env.Production = f.production(field.v)
					default:
						env.RequiredMetadata = f.requiredMetadata(field.v)
					}
				}
			}
			l.st.Envs = append(l.st.Envs, env)
		}
	}
}

// production reads an environment's production mark: true or false.
func (f *yamlFile) production(n *yaml.Node) *bool {
	s, ok := f.scalar(n, "production")
	if !ok {
		return nil
	}
	if n.Tag != "!!bool" || (s != "true" && s != "false") {
		f.add(n, "production must be true or false (without quotes); leave it out to judge by the name (prod, production, prod-*)")
		return nil
	}
	b := s == "true"
	return &b
}

// requiredMetadata reads a list whose entries are a key or a list of keys
// of which any one will do.
func (f *yamlFile) requiredMetadata(n *yaml.Node) [][]string {
	if n.Kind != yaml.SequenceNode {
		f.add(n, "required_metadata must be a list, like [owner, type, [expires_at, rotate_every]]")
		return nil
	}
	var out [][]string
	for _, item := range n.Content {
		var alts []string
		if item.Kind == yaml.SequenceNode {
			var ok bool
			if alts, ok = f.list(item, "a required_metadata choice"); !ok {
				continue
			}
			if len(alts) == 0 {
				f.add(item, "an empty choice requires nothing; name the keys of which one is required, or remove it")
				continue
			}
		} else if s, ok := f.scalar(item, "each required_metadata entry"); ok {
			alts = []string{s}
		} else {
			continue
		}
		good := true
		for _, k := range alts {
			if msg := metaKeyProblem(k); msg != "" {
				f.add(item, "required_metadata: %s", msg)
				good = false
			}
		}
		if good {
			out = append(out, alts)
		}
	}
	return out
}

// policies reads policies/NAME.yaml.
func (l *loader) policies() bool {
	files, ok := l.list(PoliciesDir, ".yaml", "NAME.yaml")
	if !ok {
		return false
	}
	l.st.Manages.Policies = true
	for _, file := range files {
		rel := path.Join(PoliciesDir, file)
		name := strings.TrimSuffix(file, ".yaml")
		if msg := policyNameProblem(name); msg != "" {
			l.ps.add(rel, 0, 0, "the file name gives the policy's name: %s", msg)
			continue
		}
		src, ok := l.read(rel)
		if !ok || src == nil {
			continue
		}
		p := Policy{Name: name, Text: string(src), Source: Source{File: rel}}
		if _, err := policy.Parse(name, src); err != nil {
			l.ps.policyError(rel, err)
			continue
		}
		l.st.Policies = append(l.st.Policies, p)
	}
	return true
}

// policyError adds a policy.Parse error at its line.
func (ps *problems) policyError(file string, err error) {
	var pe *policy.ParseError
	if errors.As(err, &pe) {
		ps.add(file, pe.Line, pe.Column, "%s", pe.Msg)
		return
	}
	ps.add(file, 0, 0, "%v", err)
}

// types reads types/NAME.schema.json.
func (l *loader) types() bool {
	files, ok := l.list(TypesDir, schemaExt, "NAME"+schemaExt)
	if !ok {
		return false
	}
	l.st.Manages.Types = true
	for _, file := range files {
		rel := path.Join(TypesDir, file)
		name := strings.TrimSuffix(file, schemaExt)
		if msg := typeNameProblem(name); msg != "" {
			l.ps.add(rel, 0, 0, "the file name gives the type's name: %s", msg)
			continue
		}
		src, ok := l.read(rel)
		if !ok || src == nil {
			continue
		}
		if line, msg := schemaProblem(name, src); msg != "" {
			l.ps.add(rel, line, 0, "%s", msg)
			continue
		}
		l.st.Types = append(l.st.Types, Type{Name: name, Schema: string(src), Source: Source{File: rel}})
	}
	return true
}
