package main

import (
	"sort"
	"strings"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/synth"
)

// syntheticIssues reports, in a production environment, every secret the
// component reads whose metadata marks it synthetic (written by ward env
// seed): a build must not ship with made-up credentials. Elsewhere, none.
func syntheticIssues(env string, c *manifest.Component, fetched map[string]manifest.Fetched) []manifest.Issue {
	if !synth.IsProduction(env) {
		return nil
	}
	var out []manifest.Issue
	for _, path := range c.Secrets() {
		if fetched[path].CustomMetadata[synth.MetadataKey] != "true" {
			continue
		}
		is := manifest.Issue{Kind: manifest.IssueSynthetic, Secret: path}
		var vars []string
		for _, e := range c.Env {
			if e.From == path {
				vars = append(vars, e.Name)
				if is.Line == 0 || e.Line < is.Line {
					is.Line = e.Line
				}
			}
		}
		for _, f := range c.Files {
			if f.From == path {
				vars = append(vars, f.Path)
				if is.Line == 0 || f.Line < is.Line {
					is.Line = f.Line
				}
			}
		}
		is.Var = strings.Join(vars, ", ")
		out = append(out, is)
	}
	return out
}

// withSyntheticIssues adds syntheticIssues to res's, in manifest order.
func withSyntheticIssues(res *manifest.Resolution, env string, c *manifest.Component, fetched map[string]manifest.Fetched) {
	res.Issues = append(res.Issues, syntheticIssues(env, c, fetched)...)
	sort.SliceStable(res.Issues, func(i, j int) bool { return res.Issues[i].Line < res.Issues[j].Line })
}
