// Package secretdocs writes the documentation of a team's secret
// workflows, from what the repository already declares: the ward/
// directory (environments, types, secret metadata) and the manifests
// (which components read which secret, and how). For each environment and
// each secret it says where the secret lives, its type and fields, who owns
// it and whom to contact in an incident (metadata owner, contact, runbook),
// which components read it, how it is refreshed, and what happens when it
// is unavailable.
//
//	pages, gaps, err := secretdocs.Render(secretdocs.Input{State: st, Manifests: ms})
//
// pages maps file names (index.md, ENV.md and their .html twins) to their
// content; the output depends on the input alone, so that a copy kept in
// the repository can be checked for staleness by rendering again and
// comparing (ward docs --check). gaps lists what the docs cannot say for
// want of a declaration: a secret without an owner, a secret a manifest
// reads but the environment does not declare.
package secretdocs
