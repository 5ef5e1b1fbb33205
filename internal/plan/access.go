package plan

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/policy"
)

// Grant is one capability one rule of a policy grants (or, as "deny",
// refuses) in one environment.
type Grant struct {
	Policy string `json:"policy"`
	// Env is the environment the rule reaches; "sys" or "auth" for system
	// paths; the rule's first segment as written when it is a glob that
	// matches no known environment.
	Env        string `json:"env"`
	Path       string `json:"path"`      // the rule's path in Env: a first-segment glob replaced by Env
	RulePath   string `json:"rule_path"` // the rule's path as written
	Capability string `json:"capability"`
	MFA        bool   `json:"mfa,omitempty"`
	Source     Source `json:"source,omitzero"` // the rule's file and line
}

// String is "+read prod/payments/*" without the sign: "read prod/payments/*".
func (g Grant) String() string {
	s := g.Capability + " " + g.Path
	if g.MFA {
		s += " (mfa)"
	}
	return s
}

func (g Grant) key() string {
	return g.Env + "\x00" + g.Path + "\x00" + g.Capability + "\x00" + fmt.Sprint(g.MFA)
}

// Grants lists what p grants in each of envs (and on system paths), one
// Grant per rule, environment and capability, in rule order. file names the
// policy's source for Grant.Source.
func Grants(p *policy.Policy, envs []string, file string) []Grant {
	var out []Grant
	for _, r := range p.Rules {
		head, rest, hasRest := strings.Cut(r.Path, "/")
		var places [][2]string // env, path
		switch {
		case !strings.Contains(head, "*"):
			places = append(places, [2]string{head, r.Path})
		default:
			for _, e := range envs {
				if !matchEnv(head, e) {
					continue
				}
				p := e
				if head == "**" {
					p += "/**"
				}
				if hasRest {
					p += "/" + rest
				}
				places = append(places, [2]string{e, p})
			}
			if len(places) == 0 {
				places = append(places, [2]string{head, r.Path})
			}
		}
		for _, pl := range places {
			for _, c := range r.Capabilities {
				out = append(out, Grant{Policy: p.Name, Env: pl[0], Path: pl[1], RulePath: r.Path,
					Capability: string(c), MFA: r.MFA, Source: Source{File: file, Line: r.Line}})
			}
		}
	}
	return out
}

// matchEnv reports whether the first segment of a rule path, a glob,
// matches environment env. As in the server, a glob never matches sys or
// auth. Rule paths hold no '?' or '[', so path.Match has only '*' to
// interpret; "**" matches any environment.
func matchEnv(glob, env string) bool {
	if env == "sys" || env == "auth" {
		return false
	}
	if glob == "**" {
		return true
	}
	ok, _ := path.Match(glob, env)
	return ok
}

// AccessChange is a grant a policy gains (Sign "+") or loses ("-").
type AccessChange struct {
	Sign string `json:"sign"`
	Grant
}

// String is "ci-api: +read prod/payments/*".
func (a AccessChange) String() string { return a.Policy + ": " + a.Sign + a.Grant.String() }

// AccessDiff lists what the policy name grants with newText that it did
// not with oldText ("+") and what it no longer grants ("-"), per
// environment of envs, sorted by environment, path and sign, then
// capabilities in the order the policy language lists them. An empty
// text is a policy that does not exist; a text that does not parse grants
// nothing.
func AccessDiff(name, oldText, newText string, envs []string) []AccessChange {
	grants := func(text string) map[string]Grant {
		out := map[string]Grant{}
		if text == "" {
			return out
		}
		p, err := policy.Parse(name, []byte(text))
		if err != nil {
			return out
		}
		for _, g := range Grants(p, envs, "") {
			g.Source = Source{}
			out[g.key()] = g
		}
		return out
	}
	before, after := grants(oldText), grants(newText)
	var out []AccessChange
	for k, g := range after {
		if _, ok := before[k]; !ok {
			out = append(out, AccessChange{Sign: "+", Grant: g})
		}
	}
	for k, g := range before {
		if _, ok := after[k]; !ok {
			out = append(out, AccessChange{Sign: "-", Grant: g})
		}
	}
	slices.SortFunc(out, func(a, b AccessChange) int {
		return cmp.Or(cmp.Compare(a.Env, b.Env), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Sign, b.Sign),
			cmp.Compare(fmt.Sprint(a.MFA), fmt.Sprint(b.MFA)), cmp.Compare(capRank(a.Capability), capRank(b.Capability)))
	})
	return out
}

// capRank orders capabilities as the policy language lists them, deny last.
func capRank(c string) int {
	if i := slices.Index(operations, c); i >= 0 {
		return i
	}
	return len(operations)
}

// Named is a parsed policy and the file its rules' lines refer to.
type Named struct {
	Policy *policy.Policy
	File   string // "policies/ci-api.yaml", or "sys/policies/acl/ci-api" for a server's
}

// Access lists every grant and deny the policies have in env (rules whose
// path reaches env, by a literal or a glob first segment), sorted by path,
// policy and capability. An env of "sys" or "auth" lists system paths.
func Access(policies []Named, env string) []Grant {
	var out []Grant
	for _, n := range policies {
		for _, g := range Grants(n.Policy, []string{env}, n.File) {
			if g.Env == env {
				out = append(out, g)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Source.Line, b.Source.Line))
	})
	return out
}

// Explanation is what a set of policies decides for one operation on one
// secret, and the rule that decided it.
type Explanation struct {
	Env        string `json:"env"`
	Path       string `json:"path"`
	Capability string `json:"capability"`
	Allowed    bool   `json:"allowed"`
	MFA        bool   `json:"mfa_required,omitempty"`
	Reason     string `json:"reason"`
	// The deciding rule; empty when no rule matched.
	Policy       string   `json:"policy,omitempty"`
	RulePath     string   `json:"rule_path,omitempty"`
	Capabilities []string `json:"rule_capabilities,omitempty"`
	Source       Source   `json:"source,omitzero"`
}

// operations are the capabilities an operation can ask for.
var operations = []string{"read", "list", "create", "update", "patch", "delete", "undelete", "destroy", "admin"}

// Explain decides whether the policies allow op on the secret at secretPath
// in env, as the server would for a token of env with those policies, and
// names the rule that decided. A list of a folder names it with a trailing
// "/" (payments/).
func Explain(policies []Named, env, secretPath, op string) (*Explanation, error) {
	if !slices.Contains(operations, op) {
		return nil, fmt.Errorf("unknown operation %s%s", quote(op), didYouMean(op, operations))
	}
	if msg := envNameProblem(env); msg != "" {
		return nil, fmt.Errorf("%s", msg)
	}
	full, err := policy.CanonicalPath(env + "/" + strings.TrimPrefix(secretPath, "/"))
	if err != nil {
		return nil, fmt.Errorf("path %s: %w", quote(secretPath), err)
	}
	ps := make([]*policy.Policy, len(policies))
	files := map[string]string{}
	for i, n := range policies {
		ps[i] = n.Policy
		files[n.Policy.Name] = n.File
	}
	d := policy.NewACL(ps...).Check(full, policy.Capability(op))
	ex := &Explanation{Env: env, Path: strings.TrimPrefix(full, env+"/"), Capability: op, Allowed: d.Allowed, MFA: d.MFA, Reason: d.Reason, Policy: d.Policy}
	if d.Policy != "" && d.Policy != policy.RootName {
		ex.RulePath = d.Rule.Path
		for _, c := range d.Rule.Capabilities {
			ex.Capabilities = append(ex.Capabilities, string(c))
		}
		ex.Source = Source{File: files[d.Policy], Line: d.Rule.Line}
	}
	return ex, nil
}
