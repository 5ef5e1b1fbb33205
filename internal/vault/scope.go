package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/jwtauth"
	"github.com/wardhq/ward/internal/auth/userpass"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/policy"
)

// The admin scope: a non-root token administers its own environment only.
//
// Identities (userpass users), JWT roles and policy rules are global
// objects, but each reaches environments: a user or role logs in to one,
// a rule grants in the environments its first segment names. A token's
// admin rights (sys/policies/acl/*, auth/userpass/users/*,
// auth/jwt/role/*) are held to the token's own environment whatever its
// policy says, so no admin right can be turned into a way out of it:
//
//   - a non-root token bound to E creates or changes only users and roles
//     bound to E (a new user it creates is bound to E), and changes,
//     resets or deletes no user or role bound elsewhere;
//   - it writes or deletes a policy only when every rule of both the old
//     and the new text names E literally, or a system path (sys/, auth/)
//     that names no other environment; a rule naming another environment,
//     or a glob first segment ("*", "**", "st*") reaching every one, is
//     refused, as is a change to a policy that has such a rule;
//   - whole-vault operations (seal, rotate, snapshots, creating and
//     deleting environments, the JWT issuer) need a root token.
//
// Only root crosses environments. There is no second, "operator" kind of
// cross-environment token: a root token comes from the unseal-key holders
// ('ward operator generate-root'), is audited as root, and should be
// revoked once used, while a long-lived cross-environment token would be
// the one credential whose theft reaches every environment. Changes that
// span environments belong in 'ward apply' run with a root token, or in
// one apply per environment with that environment's admin token.
//
// A policy change that alters what a production environment grants
// (directly or by apply) needs step-up MFA from a non-root token, the
// apply-to-prod default.

// errCrossEnv builds the refusal for an admin change outside the caller's
// environment.
func errCrossEnv(c *Caller, what string) *Refusal {
	return refuse(KindDenied, "permission denied: %s; a token bound to environment %q administers that environment only; hint: changes for another environment, or for every environment, need a root token (ward operator generate-root)", what, c.Token.Env)
}

// RequireRoot refuses a non-root caller: whole-vault operations (what
// names the operation) need root, as Vault's sudo paths do.
func (v *Vault) RequireRoot(c *Caller, what string) error {
	if c.Token != nil && c.Token.IsRoot() {
		return nil
	}
	return refuse(KindDenied, "permission denied: %s is a whole-vault operation and needs a root token, whatever a policy grants; hint: generate one with 'ward operator generate-root' and revoke it after use", what)
}

// policyScope returns a refusal when policy p has a rule reaching beyond
// environment env, nil when every rule stays within it.
func policyScope(c *Caller, p *policy.Policy) error {
	env := c.Token.Env
	for _, r := range p.Rules {
		segs := strings.Split(r.Path, "/")
		switch segs[0] {
		case "sys", "auth":
			// sys/ward/envs/NAME/... reaches environment NAME's rules and
			// configuration; sys/ward/envs/NAME itself is root-only to
			// change, and harmless to read.
			if len(segs) >= 4 && segs[1] == "ward" && segs[2] == "envs" && segs[3] != env &&
				(len(segs) > 4 || strings.Contains(segs[3], "**")) {
				return errCrossEnv(c, fmt.Sprintf("policy %s: the rule on line %d (%s) reaches environments other than %q", p.Name, r.Line, r.Path, env))
			}
		default:
			if segs[0] != env {
				what := "environment " + segs[0]
				if strings.Contains(segs[0], "*") {
					what = "every environment"
				}
				return errCrossEnv(c, fmt.Sprintf("policy %s: the rule on line %d (%s) names %s", p.Name, r.Line, r.Path, what))
			}
		}
	}
	return nil
}

// checkPolicyChange holds a change of policy name from old (nil: none) to
// src (nil: deleted) to c's scope and, when it changes what a production
// environment grants, to step-up MFA.
func (v *Vault) checkPolicyChange(c *Caller, name string, old *policy.Policy, src []byte) error {
	if c.Token.IsRoot() {
		return nil
	}
	var newText string
	if src != nil {
		p, err := policy.Parse(name, src)
		if err != nil {
			return err
		}
		if err := policyScope(c, p); err != nil {
			return err
		}
		newText = string(src)
	}
	var oldText string
	if old != nil {
		if err := policyScope(c, old); err != nil {
			return err
		}
		oldText = string(old.Raw)
	}
	envs, err := v.Envs()
	if err != nil {
		return err
	}
	var prod []string
	for _, e := range envs {
		if v.IsProdEnv(e.Name) {
			prod = append(prod, e.Name)
		}
	}
	for _, a := range plan.AccessDiff(name, oldText, newText, prod) {
		if v.IsProdEnv(a.Env) {
			return v.requireProdApproval(c, "changing what policy "+name+" grants in production ("+a.String()+") requires MFA (a shipped default)")
		}
	}
	return nil
}

// existingPolicy returns policy name, or nil when there is none.
func (v *Vault) existingPolicy(name string) (*policy.Policy, error) {
	p, err := v.Policy(name)
	if errors.Is(err, ErrPolicyNotFound) {
		return nil, nil
	}
	return p, err
}

// PutPolicyAs is PutPolicy on behalf of c, held to c's admin scope (see
// above) and, for a change to what production grants, to step-up MFA.
func (v *Vault) PutPolicyAs(ctx context.Context, c *Caller, name string, src []byte) (*policy.Policy, error) {
	if err := policy.ValidName(name); err != nil {
		return nil, err
	}
	old, err := v.existingPolicy(name)
	if err != nil {
		return nil, err
	}
	if err := v.checkPolicyChange(c, name, old, src); err != nil {
		return nil, err
	}
	return v.PutPolicy(ctx, name, src)
}

// DeletePolicyAs is DeletePolicy on behalf of c, under the rules of
// PutPolicyAs: deleting a policy can widen access (its deny rules go).
func (v *Vault) DeletePolicyAs(ctx context.Context, c *Caller, name string) error {
	old, err := v.existingPolicy(name)
	if err != nil {
		return err
	}
	if old != nil {
		if err := v.checkPolicyChange(c, name, old, nil); err != nil {
			return err
		}
	}
	return v.DeletePolicy(ctx, name)
}

// checkApplyScope holds the policy changes of an apply by c to c's scope.
func (v *Vault) checkApplyScope(c *Caller, desired *plan.State, changes []plan.Change) error {
	if c.Token.IsRoot() {
		return nil
	}
	for _, ch := range changes {
		switch ch.Kind {
		case plan.KindPolicy:
			old, err := v.existingPolicy(ch.Name)
			if err != nil {
				return err
			}
			if old != nil {
				if err := policyScope(c, old); err != nil {
					return err
				}
			}
			for _, p := range desired.Policies {
				if p.Name != ch.Name {
					continue
				}
				parsed, err := policy.Parse(p.Name, []byte(p.Text))
				if err != nil {
					return err
				}
				if err := policyScope(c, parsed); err != nil {
					return err
				}
			}
		case plan.KindEnv:
			if ch.Name != c.Token.Env {
				return errCrossEnv(c, "the apply changes environment "+ch.Name)
			}
		case plan.KindSecret:
			if env, _, _ := strings.Cut(ch.Name, "/"); env != c.Token.Env {
				return errCrossEnv(c, "the apply changes the metadata of "+ch.Name)
			}
		}
	}
	return nil
}

// userScope refuses c's change to a user bound to env (the user's
// current or new environment) unless it is c's own.
func userScope(c *Caller, name, env string) error {
	if c.Token.IsRoot() || env == c.Token.Env {
		return nil
	}
	if env == "" {
		return errCrossEnv(c, "user "+name+" may log in to any environment")
	}
	return errCrossEnv(c, "user "+name+" is bound to environment "+env)
}

// existingUser returns user name, or nil when there is none.
func (v *Vault) existingUser(ctx context.Context, name string) (*userpass.User, error) {
	users, err := v.users()
	if err != nil {
		return nil, err
	}
	u, err := users.Get(ctx, name)
	if errors.Is(err, userpass.ErrUserNotFound) {
		return nil, nil
	}
	return u, err
}

// checkUser holds c's operation on existing user name to c's scope; a
// user that does not exist passes (the operation reports it).
func (v *Vault) checkUser(ctx context.Context, c *Caller, name string) (*userpass.User, error) {
	u, err := v.existingUser(ctx, name)
	if err != nil || u == nil {
		return u, err
	}
	return u, userScope(c, name, u.Env)
}

// PutUserAs is PutUser on behalf of c: a non-root caller creates users
// bound to its own environment (the default when up names none) and
// changes only such users.
func (v *Vault) PutUserAs(ctx context.Context, c *Caller, name string, up UserUpdate) error {
	old, err := v.checkUser(ctx, c, name)
	if err != nil {
		return err
	}
	if !c.Token.IsRoot() {
		switch {
		case up.Env != nil:
			if err := userScope(c, name, *up.Env); err != nil {
				return err
			}
		case old == nil:
			env := c.Token.Env
			up.Env = &env
		}
	}
	return v.PutUser(ctx, name, up)
}

// SetPasswordAs is SetPassword on behalf of c, held to c's scope; a
// user's own token may always change the user's password.
func (v *Vault) SetPasswordAs(ctx context.Context, c *Caller, name, password string) error {
	if c.Token.Meta[auth.IdentityMetaKey] != userIdentity(name) {
		if _, err := v.checkUser(ctx, c, name); err != nil {
			return err
		}
	}
	return v.SetPassword(ctx, name, password)
}

// DeleteUserAs is DeleteUser on behalf of c, held to c's scope.
func (v *Vault) DeleteUserAs(ctx context.Context, c *Caller, name string) error {
	if _, err := v.checkUser(ctx, c, name); err != nil {
		return err
	}
	return v.DeleteUser(ctx, name)
}

// ResetTOTPAs is ResetTOTP on behalf of c, held to c's scope: removing a
// user's second factor is a change to that identity.
func (v *Vault) ResetTOTPAs(ctx context.Context, c *Caller, name string) error {
	if _, err := v.checkUser(ctx, c, name); err != nil {
		return err
	}
	return v.ResetTOTP(ctx, name)
}

// roleScope refuses c's change to a JWT role of environment env unless it
// is c's own.
func roleScope(c *Caller, name, env string) error {
	if c.Token.IsRoot() || env == c.Token.Env {
		return nil
	}
	return errCrossEnv(c, "JWT role "+name+" logs in to environment "+env)
}

// PutJWTRoleAs is PutJWTRole on behalf of c: a non-root caller writes
// only roles of its own environment, over none of another.
func (v *Vault) PutJWTRoleAs(ctx context.Context, c *Caller, name string, r jwtauth.Role) error {
	if old, err := v.JWTRole(name); err == nil {
		if err := roleScope(c, name, old.Environment); err != nil {
			return err
		}
	} else if !errors.Is(err, ErrJWTRoleNotFound) {
		return err
	}
	if err := roleScope(c, name, r.Environment); err != nil {
		return err
	}
	return v.PutJWTRole(ctx, name, r)
}

// DeleteJWTRoleAs is DeleteJWTRole on behalf of c, held to c's scope.
func (v *Vault) DeleteJWTRoleAs(ctx context.Context, c *Caller, name string) error {
	old, err := v.JWTRole(name)
	if err != nil {
		return v.DeleteJWTRole(ctx, name) // reports the missing role
	}
	if err := roleScope(c, name, old.Environment); err != nil {
		return err
	}
	return v.DeleteJWTRole(ctx, name)
}
