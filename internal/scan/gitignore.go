package scan

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// ignorer applies the .gitignore files of a directory tree as a walk
// enters it: patterns with *, ?, [...], a leading or inner / (anchored to
// the file's directory), a trailing / (directories only), ** and ! (negate).
type ignorer struct {
	mu    sync.Mutex
	root  string
	rules []ignoreRule
}

type ignoreRule struct {
	dir     string // directory of the .gitignore, relative to root, "" for root
	pattern string
	anchor  bool
	dirOnly bool
	negate  bool
}

func newIgnorer(root string) *ignorer {
	ig := &ignorer{root: root}
	ig.enter(root)
	return ig
}

// enter reads dir/.gitignore, if any.
func (ig *ignorer) enter(dir string) {
	f, err := os.Open(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return
	}
	defer f.Close()
	rel, _ := filepath.Rel(ig.root, dir)
	rel = filepath.ToSlash(rel)
	if rel == "." {
		rel = ""
	}
	sc := bufio.NewScanner(f)
	ig.mu.Lock()
	defer ig.mu.Unlock()
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{dir: rel}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimSuffix(line, "/")
		}
		if strings.Contains(line, "/") {
			r.anchor, line = true, strings.TrimPrefix(line, "/")
		}
		r.pattern = line
		ig.rules = append(ig.rules, r)
	}
}

// ignored reports whether p (under root) is ignored; the last matching
// rule decides.
func (ig *ignorer) ignored(p string, isDir bool) bool {
	rel, err := filepath.Rel(ig.root, p)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	ig.mu.Lock()
	defer ig.mu.Unlock()
	out := false
	for _, r := range ig.rules {
		if r.dirOnly && !isDir {
			continue
		}
		sub := rel
		if r.dir != "" {
			if !strings.HasPrefix(rel, r.dir+"/") {
				continue
			}
			sub = rel[len(r.dir)+1:]
		}
		var ok bool
		if r.anchor {
			ok = globPath(r.pattern, sub)
		} else {
			ok, _ = path.Match(r.pattern, path.Base(sub))
		}
		if ok {
			out = !r.negate
		}
	}
	return out
}

// globPath matches a slash-separated pattern where ** spans directories.
func globPath(pattern, name string) bool {
	ps, ns := strings.Split(pattern, "/"), strings.Split(name, "/")
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(ps) {
			if ps[i] == "**" {
				for k := j; k <= len(ns); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			}
			if j >= len(ns) {
				return false
			}
			if ok, _ := path.Match(ps[i], ns[j]); !ok {
				return false
			}
			i, j = i+1, j+1
		}
		return j == len(ns)
	}
	return match(0, 0)
}
