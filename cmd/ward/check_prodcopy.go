package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/wardhq/ward/internal/manifest"
	"github.com/wardhq/ward/internal/scan"
	"github.com/wardhq/ward/internal/scan/known"
)

// prodCopyIssues reports every field of the secrets the component reads
// in env whose whole value is the value of a secret of prodEnv. The
// production values never come to the client: set is prodEnv's fingerprint
// set (sys/ward/fingerprints), and each field's value is matched against
// it here, as ward scan --known matches its input.
func prodCopyIssues(prodEnv string, c *manifest.Component, fetched map[string]manifest.Fetched, set scan.KnownMatcher) []manifest.Issue {
	var out []manifest.Issue
	for _, path := range c.Secrets() {
		f := fetched[path]
		if f.Status != manifest.StatusOK {
			continue
		}
		var obj map[string]any
		if json.Unmarshal(f.Data, &obj) != nil {
			continue
		}
		fields := make([]string, 0, len(obj))
		for k := range obj {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		for _, field := range fields {
			v, ok := obj[field].(string)
			if !ok || len(v) < known.MinLength {
				continue
			}
			var copyOf string
			set.Find([]byte(v), len(v), func(start, end int, ref scan.KnownRef) {
				if start == 0 && end == len(v) && ref.Encoding == "" && copyOf == "" {
					copyOf = fmt.Sprintf("%s/%s field %s version %d", prodEnv, ref.Path, ref.Field, ref.Version)
				}
			})
			if copyOf == "" {
				continue
			}
			is := manifest.Issue{Kind: manifest.IssueProdCopy, Secret: path, Field: field, Detail: copyOf}
			is.Var, is.Line = consumers(c, path)
			out = append(out, is)
		}
	}
	return out
}

// withProdCopyIssues fetches prodEnv's fingerprint set and adds
// prodCopyIssues to res's, in manifest order. It refuses a production env
// (a production secret is its own production value).
func withProdCopyIssues(ctx context.Context, g *globals, res *manifest.Resolution, env, prodEnv string, c *manifest.Component, fetched map[string]manifest.Fetched) error {
	if prodEnv == "" {
		return nil
	}
	if prodEnv == env {
		return withHint(usagef("--prod-env %s is the environment checked", env), "ward check --env staging --prod-env prod")
	}
	set, prod, err := fetchKnownIn(ctx, g, prodEnv)
	if err != nil {
		return err
	}
	if !prod {
		return withHint(usagef("--prod-env %s: environment %s is not production (neither marked production: true in environments.yaml nor named prod, production or prod-*)", prodEnv, prodEnv),
			"name a production environment, or mark "+prodEnv+" one: production: true under it in ward/environments.yaml, then ward apply")
	}
	res.Issues = append(res.Issues, prodCopyIssues(prodEnv, c, fetched, set)...)
	sort.SliceStable(res.Issues, func(i, j int) bool { return res.Issues[i].Line < res.Issues[j].Line })
	return nil
}
