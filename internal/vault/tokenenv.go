package vault

import (
	"path"
	"slices"
	"strings"
)

// AuditPath is the audit log's file, as Config named it.
func (v *Vault) AuditPath() string { return v.cfg.AuditPath }

// envsOfPolicies lists, sorted, the existing environments that the rules
// of the named policies reach (a literal first segment, or a glob
// matching the environment's name).
func (v *Vault) envsOfPolicies(names []string) ([]string, error) {
	envs, err := v.Envs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		p, err := v.Policy(n)
		if err != nil {
			continue // CreateToken refuses unknown policies on its own terms
		}
		for _, r := range p.Rules {
			first, _, _ := strings.Cut(r.Path, "/")
			if first == "sys" || first == "auth" {
				continue
			}
			for _, e := range envs {
				if ok, _ := path.Match(first, e.Name); ok || first == "**" {
					out = append(out, e.Name)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// rootChildEnv picks the environment of a token a root token creates
// without naming one, as Vault's CLI does (token create -policy=x sends no
// environment): the one environment its policies reach; otherwise a
// refusal that lists the choices.
func (v *Vault) rootChildEnv(policies []string) (*Env, error) {
	envs, err := v.envsOfPolicies(policies)
	if err != nil {
		return nil, err
	}
	if len(envs) == 1 {
		return v.Env(envs[0])
	}
	if len(envs) == 0 {
		all, err := v.Envs()
		if err != nil {
			return nil, err
		}
		for _, e := range all {
			envs = append(envs, e.Name)
		}
	}
	return nil, refuse(KindInvalid, `missing "env": every token is bound to exactly one environment, and the policies %s reach %s; send "env" (ward token create --env %s; the vault CLI: vault write auth/token/create policies=%s env=%s)`,
		strings.Join(policies, ","), "environments "+strings.Join(envs, ", "), envs[0], strings.Join(policies, ","), envs[0])
}
