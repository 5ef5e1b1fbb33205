package main

import (
	"sort"
	"strings"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/synth"
)

// syntheticIssues reports, in a production environment (prod), every
// secret the component reads whose metadata marks it synthetic (written by
// ward env seed): a build must not ship with made-up credentials.
// Elsewhere, none.
func syntheticIssues(prod bool, c *manifest.Component, fetched map[string]manifest.Fetched) []manifest.Issue {
	if !prod {
		return nil
	}
	var out []manifest.Issue
	for _, path := range c.Secrets() {
		if fetched[path].CustomMetadata[synth.MetadataKey] != "true" {
			continue
		}
		is := manifest.Issue{Kind: manifest.IssueSynthetic, Secret: path}
		is.Var, is.Line = consumers(c, path)
		out = append(out, is)
	}
	return out
}

// consumers lists the env vars and files of c that read path, and the
// manifest line of the first.
func consumers(c *manifest.Component, path string) (vars string, line int) {
	var names []string
	for _, e := range c.Env {
		if e.From == path {
			names = append(names, e.Name)
			if line == 0 || e.Line < line {
				line = e.Line
			}
		}
	}
	for _, f := range c.Files {
		if f.From == path {
			names = append(names, f.Path)
			if line == 0 || f.Line < line {
				line = f.Line
			}
		}
	}
	return strings.Join(names, ", "), line
}

// withSyntheticIssues adds syntheticIssues to res's, in manifest order.
func withSyntheticIssues(res *manifest.Resolution, prod bool, c *manifest.Component, fetched map[string]manifest.Fetched) {
	res.Issues = append(res.Issues, syntheticIssues(prod, c, fetched)...)
	sort.SliceStable(res.Issues, func(i, j int) bool { return res.Issues[i].Line < res.Issues[j].Line })
}
