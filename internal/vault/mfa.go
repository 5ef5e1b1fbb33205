package vault

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/auth/totp"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
)

// BreakGlassKey is the custom_metadata key that tags a secret break-glass:
// with the value "true", reading its data needs step-up MFA.
const BreakGlassKey = "break_glass"

// MFADefault is a rule that needs step-up MFA for every non-root token,
// whatever its policies say.
type MFADefault struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// MFADefaults are the shipped step-up rules, in the order they are
// checked.
var MFADefaults = []MFADefault{
	{"destroy-versions", "destroying secret versions: ENV/destroy/PATH, and DELETE ENV/metadata/PATH, which destroys every version"},
	{"delete-environment", "deleting an environment: DELETE sys/ward/envs/NAME"},
	{"read-break-glass", `reading the data of a secret whose custom_metadata has break_glass: "true" (ENV/data/PATH and sys/ward/fetch)`},
	{"retag-break-glass", "writing the metadata of a break-glass secret (POST ENV/metadata/PATH), which could remove the tag"},
	{"apply-to-prod", "an apply (sys/ward/apply) that changes a production environment (marked production: true in environments.yaml, or, unmarked, named prod, production or prod-*), what a policy grants there, or its secrets' metadata; and a policy write or delete (sys/policies/acl/NAME) that changes what a policy grants there"},
}

// IsProd reports whether an environment's name makes it production when
// its definition does not mark it (environments.yaml's production; see
// Vault.IsProdEnv): the environments the apply-to-prod default guards.
func IsProd(env string) bool {
	return env == "prod" || env == "production" || strings.HasPrefix(env, "prod-")
}

// touchesProd names the first change of an apply that reaches a production
// environment, or "". isProd judges an environment.
func touchesProd(changes []plan.Change, isProd func(string) bool) string {
	for _, c := range changes {
		switch c.Kind {
		case plan.KindEnv:
			if isProd(c.Name) {
				return "environment " + c.Name
			}
		case plan.KindSecret:
			if env, _, _ := strings.Cut(c.Name, "/"); isProd(env) {
				return "the metadata of " + c.Name
			}
		case plan.KindPolicy:
			for _, a := range c.Access {
				if isProd(a.Env) {
					return a.String()
				}
			}
		}
	}
	return ""
}

// prodBeforeOrAfter judges an environment production when it is so now or
// will be once desired is applied: marking an environment production and
// unmarking it are both changes to production.
func (v *Vault) prodBeforeOrAfter(desired *plan.State) func(string) bool {
	return func(env string) bool {
		if v.IsProdEnv(env) {
			return true
		}
		if e := desired.Env(env); e != nil && desired.Manages.Envs {
			return ProdOf(env, e.Production)
		}
		return false
	}
}

// Target is what an operation reaches, for the step-up defaults.
type Target struct {
	Cap        policy.Capability
	PolicyPath string
	// Env is the environment of a KV route, with Secret the secret's path
	// and View "data" or "metadata" for a secret's value or metadata.
	Env    *Env
	Secret string
	View   string
}

// StepUp asks for MFA where the policy rule that allowed the operation
// (decision d), or a shipped default, demands it. Root tokens are never
// asked. A refusal is a *Refusal whose MFA field says why.
func (v *Vault) StepUp(ctx context.Context, c *Caller, t Target, d policy.Decision) error {
	if c.Token.IsRoot() {
		return nil
	}
	if d.MFA {
		if err := v.RequireMFA(c, "policy "+d.Policy+" requires MFA for "+string(t.Cap)+" on "+t.PolicyPath); err != nil {
			return err
		}
	}
	why, err := defaultMFA(ctx, t)
	if err != nil || why == "" {
		return err
	}
	return v.RequireMFA(c, why)
}

// defaultMFA returns why a shipped default needs MFA for t, or "".
func defaultMFA(ctx context.Context, t Target) (string, error) {
	switch {
	case t.Env != nil && t.Cap == policy.CapDestroy:
		return "destroying versions requires MFA (a shipped default)", nil
	case t.Cap == policy.CapDelete && strings.HasPrefix(t.PolicyPath, "sys/ward/envs/"):
		return "deleting an environment requires MFA (a shipped default)", nil
	case t.Env != nil && t.Cap == policy.CapRead && t.View == "data":
		glass, err := breakGlass(ctx, t.Env, t.Secret)
		if err != nil || !glass {
			return "", err
		}
		return "reading a break-glass secret requires MFA (a shipped default)", nil
	case t.Env != nil && t.Cap == policy.CapUpdate && t.View == "metadata":
		glass, err := breakGlass(ctx, t.Env, t.Secret)
		if err != nil || !glass {
			return "", err
		}
		return "changing a break-glass secret's metadata requires MFA (a shipped default)", nil
	}
	return "", nil
}

// breakGlass reports whether env's secret at p is tagged break-glass. A
// missing secret is not.
func breakGlass(ctx context.Context, env *Env, p string) (bool, error) {
	md, err := env.kv.Metadata(ctx, p)
	if errors.Is(err, secrets.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return md.CustomMetadata[BreakGlassKey] == "true", nil
}

// RequireMFA passes only if the caller sent a valid, unused TOTP code of
// its token's identity; why says what asked for it. A code is checked once
// per request: a second call returns the first answer. Root tokens pass.
// The outcome is the caller's MFAOutcome; the code itself is never kept.
func (v *Vault) RequireMFA(c *Caller, why string) error {
	if c.Token.IsRoot() || c.mfa == "verified" {
		return nil
	}
	if c.mfaErr != nil {
		return c.mfaErr
	}
	c.mfaErr = v.checkMFA(c, why)
	if c.mfaErr != nil {
		return c.mfaErr
	}
	c.mfa = "verified"
	return nil
}

func (v *Vault) checkMFA(c *Caller, why string) error {
	deny := func(outcome string, prompt bool, k Kind, msg string) error {
		c.mfa = outcome
		return &Refusal{Kind: k, Msg: "permission denied: " + why + "; " + msg, MFA: outcome, Prompt: prompt}
	}
	if len(c.Codes) > 1 {
		return deny("refused: malformed", false, KindInvalid, "send one X-Ward-MFA header")
	}
	identity := c.Token.Meta[auth.IdentityMetaKey]
	if identity == "" {
		return deny("refused: no identity", false, KindDenied, "this token has no identity with a second factor; log in as a user (ward login) and enrol (ward mfa enroll)")
	}
	st, err := v.enrolments()
	if err != nil {
		return err
	}
	en, err := st.Get(context.Background(), identity)
	if errors.Is(err, totp.ErrNotEnrolled) || err == nil && !en.Confirmed {
		return deny("refused: not enrolled", false, KindDenied, identity+" has no confirmed TOTP enrolment; hint: ward mfa enroll")
	}
	if err != nil {
		return err
	}
	if len(c.Codes) == 0 || c.Codes[0] == "" {
		return deny("refused: no code", true, KindDenied, "send a TOTP code in X-Ward-MFA (the ward CLI asks for one, or reads WARD_MFA)")
	}
	var rl *totp.RateLimitError
	switch err := v.codes.VerifyContext(context.Background(), identity, en.Secret, c.Codes[0]); {
	case err == nil:
		return nil
	case errors.Is(err, totp.ErrMalformedCode):
		return deny("refused: malformed", true, KindDenied, "an MFA code is exactly 6 ASCII digits, without spaces")
	case errors.Is(err, totp.ErrInvalidCode):
		return deny("refused: wrong code", true, KindDenied, "the MFA code is wrong or expired")
	case errors.Is(err, totp.ErrReplayed):
		return deny("refused: replayed", true, KindDenied, "the MFA code was already used; wait for the next one")
	case errors.As(err, &rl):
		return deny("refused: rate limited", false, KindLimited, strings.TrimPrefix(err.Error(), "totp: "))
	default:
		return err
	}
}

// Enrolment is the state of an identity's TOTP enrolment; never its
// secret.
type Enrolment struct {
	Identity    string
	Enrolled    bool
	Confirmed   bool
	CreatedAt   time.Time
	ConfirmedAt time.Time
}

// Enrolment returns identity's TOTP enrolment state.
func (v *Vault) Enrolment(ctx context.Context, identity string) (Enrolment, error) {
	st, err := v.enrolments()
	if err != nil {
		return Enrolment{}, err
	}
	en, err := st.Get(ctx, identity)
	switch {
	case errors.Is(err, totp.ErrNotEnrolled):
		return Enrolment{Identity: identity}, nil
	case err != nil:
		return Enrolment{}, err
	}
	return Enrolment{Identity: identity, Enrolled: true, Confirmed: en.Confirmed, CreatedAt: en.CreatedAt, ConfirmedAt: en.ConfirmedAt}, nil
}

// CallerIdentity is the identity of the caller's login, whose TOTP
// enrolment it manages; a *Refusal for a token that is no login's.
func CallerIdentity(c *Caller) (string, error) {
	id := c.Token.Meta[auth.IdentityMetaKey]
	if id == "" {
		return "", refuse(KindInvalid, "this token has no identity to enrol: log in as a user first (ward login), then run ward mfa enroll")
	}
	return id, nil
}

// EnrollTOTP makes a new TOTP secret for the caller's identity, to be
// confirmed with a first code. An identity with a confirmed enrolment is
// refused: an admin resets it first.
func (v *Vault) EnrollTOTP(ctx context.Context, c *Caller) (string, *totp.Key, error) {
	id, err := CallerIdentity(c)
	if err != nil {
		return "", nil, err
	}
	st, err := v.enrolments()
	if err != nil {
		return "", nil, err
	}
	v.usersMu.Lock()
	defer v.usersMu.Unlock()
	old, err := st.Get(ctx, id)
	switch {
	case err == nil && old.Confirmed:
		return "", nil, refuse(KindInvalid, "%s already has a confirmed TOTP enrolment; to replace it an admin resets it first (ward mfa reset NAME)", id)
	case err != nil && !errors.Is(err, totp.ErrNotEnrolled):
		return "", nil, err
	}
	_, account, _ := strings.Cut(id, "/")
	key, err := totp.NewKey(v.cfg.Rand, "ward", account)
	if err != nil {
		return "", nil, err
	}
	if err := st.Put(ctx, &totp.Enrolment{Identity: id, Secret: key.Secret, CreatedAt: v.cfg.Now()}); err != nil {
		return "", nil, err
	}
	if err := v.codes.ForgetContext(ctx, id); err != nil {
		return "", nil, err
	}
	return id, key, nil
}

// ConfirmTOTP confirms the caller's enrolment with a first code; the
// caller's MFAOutcome is then "verified".
func (v *Vault) ConfirmTOTP(ctx context.Context, c *Caller, code string) (string, error) {
	id, err := CallerIdentity(c)
	if err != nil {
		return "", err
	}
	st, err := v.enrolments()
	if err != nil {
		return "", err
	}
	v.usersMu.Lock()
	defer v.usersMu.Unlock()
	en, err := st.Get(ctx, id)
	switch {
	case errors.Is(err, totp.ErrNotEnrolled):
		return "", refuse(KindInvalid, "%s has no TOTP enrolment to confirm; run ward mfa enroll first", id)
	case err != nil:
		return "", err
	case en.Confirmed:
		return "", refuse(KindInvalid, "%s's TOTP enrolment is already confirmed", id)
	}
	if err := v.codes.VerifyContext(ctx, id, en.Secret, code); err != nil {
		var rl *totp.RateLimitError
		if errors.As(err, &rl) {
			return "", refuse(KindLimited, "%s", strings.TrimPrefix(err.Error(), "totp: "))
		}
		return "", refuse(KindInvalid, "the code does not confirm the enrolment: %s; check the authenticator app's clock and that it shows ward's entry", strings.TrimPrefix(err.Error(), "totp: "))
	}
	en.Confirmed, en.ConfirmedAt = true, v.cfg.Now()
	if err := st.Put(ctx, en); err != nil {
		return "", err
	}
	c.mfa = "verified"
	return id, nil
}

// ResetTOTP removes user name's enrolment, so the user can enrol again; a
// *Refusal of KindNotFound when there is none.
func (v *Vault) ResetTOTP(ctx context.Context, name string) error {
	id := userIdentity(name)
	st, err := v.enrolments()
	if err != nil {
		return err
	}
	v.usersMu.Lock()
	defer v.usersMu.Unlock()
	if err := st.Delete(ctx, id); err != nil {
		if errors.Is(err, totp.ErrNotEnrolled) {
			return refuse(KindNotFound, "%s has no TOTP enrolment", id)
		}
		return err
	}
	if err := v.codes.ForgetContext(ctx, id); err != nil {
		return err
	}
	return nil
}

// ApplyAs is Apply on behalf of c. A non-root caller whose apply would
// change production (an environment, what a policy grants there, a
// secret's metadata) must pass step-up MFA, the apply-to-prod default; the
// apply is then held to the plan that was judged, so what was judged is
// what is applied.
func (v *Vault) ApplyAs(ctx context.Context, c *Caller, desired *plan.State, opt ApplyOptions) ([]plan.Change, error) {
	if !c.Token.IsRoot() {
		changes, _, err := v.Plan(ctx, desired, opt)
		if err != nil {
			return nil, err
		}
		if err := v.checkApplyScope(c, desired, changes); err != nil {
			return nil, err
		}
		if what := touchesProd(changes, v.prodBeforeOrAfter(desired)); what != "" {
			digest := plan.Digest(changes)
			if opt.Expect != "" && opt.Expect != digest {
				return nil, ErrPlanChanged
			}
			opt.Expect = digest
			if err := v.requireProdApproval(c, "applying changes to production ("+what+") requires MFA (a shipped default)"); err != nil {
				return nil, err
			}
		}
	}
	return v.Apply(ctx, desired, opt)
}
