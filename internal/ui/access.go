package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/policy"
)

// accessPage is the access simulation view: what a set of policies, or a
// CI role's, may do in the session's environment, and one path explained.
type accessPage struct {
	Env         string
	Policies    string // as typed, comma-separated
	Role        string
	Path        string
	Op          string
	Ops         []string
	Known       []string // policy names the token may list
	Roles       []string // CI role names the token may list
	Simulated   []string // the policies simulated
	RoleEnv     string   // the environment the CI role logs in to, when not this one
	Rows        []accessRow
	Explanation *plan.Explanation
	Error       string
}

type accessRow struct {
	Path         string
	Capabilities []string
	Deny         bool
	MFA          bool
	Policy       string
	Source       string
}

var accessOps = []string{"read", "list", "create", "update", "patch", "delete", "undelete", "destroy", "admin"}

func (h *Handler) access(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := &accessPage{Env: s.env, Policies: strings.TrimSpace(q.Get("policies")), Role: strings.TrimSpace(q.Get("role")),
		Path: strings.TrimSpace(q.Get("path")), Op: q.Get("op"), Ops: accessOps}
	if p.Op == "" {
		p.Op = "read"
	}
	p.Known, _ = list(h, r, s, "sys/policies/acl")
	p.Known = slices.DeleteFunc(p.Known, func(n string) bool { return n == policy.RootName })
	p.Roles, _ = list(h, r, s, "auth/jwt/role")
	names, err := h.accessPolicies(r, s, p)
	if err != nil {
		p.Error = err.Error()
	}
	if err == nil && len(names) > 0 {
		named, err := h.readPolicies(r, s, names)
		if err != nil {
			p.Error = err.Error()
		} else {
			p.Simulated = names
			p.Rows = accessRows(plan.Access(named, s.env))
			if p.Path != "" {
				if p.Explanation, err = plan.Explain(named, s.env, p.Path, p.Op); err != nil {
					p.Error = err.Error()
				}
			}
		}
	}
	h.render(w, r, http.StatusOK, "access", &view{Title: "Access in " + s.env, Nav: "access", Session: s, Data: p})
}

// accessPolicies are the policies to simulate: a CI role's, those typed,
// or by default the session's own.
func (h *Handler) accessPolicies(r *http.Request, s *session, p *accessPage) ([]string, error) {
	switch {
	case p.Role != "":
		role, err := get[struct {
			TokenPolicies []string `json:"token_policies"`
			Environment   string   `json:"environment"`
		}](h, r, s, "auth/jwt/role/"+url.PathEscape(p.Role), nil)
		if err != nil {
			return nil, errors.New("the CI role " + p.Role + " cannot be read with your token: " + msgOf(err))
		}
		if role.Environment != "" && role.Environment != s.env {
			p.RoleEnv = role.Environment
		}
		p.Policies = strings.Join(role.TokenPolicies, ", ")
		return role.TokenPolicies, nil
	case p.Policies != "":
		var out []string
		for _, n := range strings.Split(p.Policies, ",") {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out, nil
	}
	if s.root {
		return nil, nil
	}
	p.Policies = strings.Join(s.policies, ", ")
	return s.policies, nil
}

func (h *Handler) readPolicies(r *http.Request, s *session, names []string) ([]plan.Named, error) {
	var out []plan.Named
	for _, n := range names {
		if n == policy.RootName {
			return nil, errors.New("the root policy allows everything; name the policies to simulate")
		}
		src, err := get[struct {
			Policy string `json:"policy"`
		}](h, r, s, "sys/policies/acl/"+url.PathEscape(n), nil)
		if err != nil {
			return nil, errors.New("the policy " + n + " cannot be read with your token: " + msgOf(err))
		}
		parsed, err := policy.Parse(n, []byte(src.Policy))
		if err != nil {
			return nil, errors.New("the server's policy " + n + " does not parse: " + err.Error())
		}
		out = append(out, plan.Named{Policy: parsed, File: "sys/policies/acl/" + n})
	}
	return out, nil
}

func msgOf(err error) string {
	var ae *apiError
	if errors.As(err, &ae) && len(ae.Msgs) > 0 {
		return strings.Join(ae.Msgs, "; ")
	}
	if errors.As(err, &ae) {
		return http.StatusText(ae.Status)
	}
	return "internal error"
}

// accessRows gathers grants into one row per rule and path.
func accessRows(grants []plan.Grant) []accessRow {
	var rows []accessRow
	for _, g := range grants {
		src := g.Source.String()
		i := slices.IndexFunc(rows, func(r accessRow) bool { return r.Policy == g.Policy && r.Path == g.Path && r.Source == src })
		if i < 0 {
			rows = append(rows, accessRow{Path: g.Path, Policy: g.Policy, MFA: g.MFA, Source: src})
			i = len(rows) - 1
		}
		if g.Capability == "deny" {
			rows[i].Deny = true
		}
		rows[i].Capabilities = append(rows[i].Capabilities, g.Capability)
	}
	return rows
}
