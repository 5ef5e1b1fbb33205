package jwtauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MaxTokenBytes is the longest JWT Validate parses. CI tokens are 1-2 KiB.
const MaxTokenBytes = 16 << 10

// MaxLeeway is the most clock skew ward allows on exp, nbf and iat.
const MaxLeeway = 60 * time.Second

// maxKeysTried bounds the keys a token without kid is tried against.
const maxKeysTried = 8

// allowedAlgs are the only algorithms the parser accepts; which of them a
// given key allows is decided by algsForKey.
var allowedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.EdDSA,
}

// Options tune a Validator. Zero values take the defaults named beside them.
type Options struct {
	Now        func() time.Time // time.Now
	Leeway     time.Duration    // MaxLeeway; larger values are capped at it
	Remote     FetchOptions     // for a JWKS or discovery source
	KeysSource KeySource        // overrides the source Config names (tests)
}

// Validator checks tokens from one issuer. It is safe for concurrent use
// and keeps the issuer's keys cached, so build one per configuration.
type Validator struct {
	issuer string
	keys   KeySource
	now    func() time.Time
	leeway time.Duration
}

// NewValidator returns a Validator for cfg, which must pass Check.
func NewValidator(cfg Config, opt Options) (*Validator, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	v := &Validator{issuer: cfg.BoundIssuer, keys: opt.KeysSource, now: opt.Now, leeway: opt.Leeway}
	if v.now == nil {
		v.now = time.Now
	}
	if v.leeway <= 0 || v.leeway > MaxLeeway {
		v.leeway = MaxLeeway
	}
	if v.keys == nil {
		switch {
		case len(cfg.JWTValidationPubkeys) > 0:
			var s StaticKeys
			for _, p := range cfg.JWTValidationPubkeys {
				k, err := parsePublicKeyPEM(p)
				if err != nil {
					return nil, err
				}
				s = append(s, Key{Public: k})
			}
			v.keys = s
		default:
			r := &RemoteKeys{
				JWKSURL: cfg.JWKSURL, DiscoveryURL: cfg.OIDCDiscoveryURL, Issuer: cfg.BoundIssuer,
				FetchOptions: opt.Remote,
			}
			if r.Now == nil {
				r.Now = v.now
			}
			v.keys = r
		}
	}
	return v, nil
}

// Keys is the Validator's key source.
func (v *Validator) Keys() KeySource { return v.keys }

// Result is an accepted token.
type Result struct {
	// Claims are the token's claims, numbers as json.Number.
	Claims map[string]any
	// User is the value of the role's user claim.
	User string
	// Meta is public context for the ward token and the audit log: role,
	// issuer, subject, the ci_* fields of a known platform, and the role's
	// claim_mappings.
	Meta map[string]string
	// ExpiresAt is the token's exp.
	ExpiresAt time.Time
}

// Validate checks raw against the issuer and role as the package doc
// says. A refused token gives an error wrapping ErrInvalidToken (a
// *RejectError naming the rule); unreachable keys give ErrKeysUnavailable.
func (v *Validator) Validate(ctx context.Context, roleName string, role *Role, raw string) (*Result, error) {
	if role == nil || len(role.BoundAudiences) == 0 {
		return nil, reject("the role has no bound_audiences, so it accepts nothing; set bound_audiences on the role")
	}
	payload, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	exp, err := v.checkStandard(claims, role)
	if err != nil {
		return nil, err
	}
	if err := checkBound(claims, role); err != nil {
		return nil, err
	}
	userClaim := role.UserClaim
	if userClaim == "" {
		userClaim = "sub"
	}
	user, ok := lookupClaim(claims, userClaim).(string)
	if !ok || user == "" {
		return nil, reject("the user claim %q is missing, empty or not a string", userClaim)
	}
	meta, err := metadata(claims, roleName, role)
	if err != nil {
		return nil, err
	}
	if a := approval(claims, role); a != "" {
		meta[ApprovalMetaKey] = a
	}
	return &Result{Claims: claims, User: user, Meta: meta, ExpiresAt: exp}, nil
}

// verify checks the token's form, header and signature, and returns its
// payload.
func (v *Validator) verify(ctx context.Context, raw string) ([]byte, error) {
	if len(raw) > MaxTokenBytes {
		return nil, reject("the token is %d bytes; the limit is %d", len(raw), MaxTokenBytes)
	}
	if raw == "" {
		return nil, reject("the token is empty")
	}
	if strings.Count(raw, ".") != 2 {
		return nil, reject("not a signed JWT: a JWT is three base64url parts joined by dots (an encrypted JWT, with five, is not accepted)")
	}
	alg, kid, err := checkHeader(raw[:strings.IndexByte(raw, '.')])
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(raw, allowedAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, reject("the token is malformed and does not parse as a compact JWS")
	}
	if h := jws.Signatures[0].Header; h.Algorithm != alg || h.KeyID != kid {
		return nil, reject("the token's header is ambiguous")
	}
	keys, err := v.keys.Keys(ctx, kid)
	if err != nil {
		return nil, err
	}
	tried := 0
	for _, k := range keys {
		if !k.allows(alg) {
			continue
		}
		if tried++; tried > maxKeysTried {
			break
		}
		if payload, err := jws.Verify(k.Public); err == nil {
			return payload, nil
		}
	}
	if tried == 0 {
		return nil, reject("alg %q is not allowed with the issuer's key of that ID", alg)
	}
	return nil, reject("the signature does not verify with the issuer's keys")
}

// checkHeader reads the protected header ward's way before the parser
// does, to refuse what must never get as far as a key lookup.
func checkHeader(seg string) (alg, kid string, err error) {
	if len(seg) > 4096 {
		return "", "", reject("the JWT header is larger than 4096 bytes")
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", "", reject("the JWT header is not base64url")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil {
		return "", "", reject("the JWT header is not a JSON object")
	}
	if err := noDuplicateKeys(b); err != nil {
		return "", "", err
	}
	if err := json.Unmarshal(h["alg"], &alg); err != nil || alg == "" {
		return "", "", reject("the JWT header has no alg")
	}
	switch {
	case strings.EqualFold(alg, "none"):
		return "", "", reject(`alg "none" is refused: ward accepts only signed tokens`)
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return "", "", reject("alg %q is refused: HMAC algorithms are never accepted (an issuer's public key is not a shared secret)", alg)
	}
	ok := false
	for _, a := range allowedAlgs {
		ok = ok || string(a) == alg
	}
	if !ok {
		return "", "", reject("alg %q is not accepted; ward accepts RS256/384/512, PS256/384/512, ES256, ES384 and EdDSA", alg)
	}
	for _, name := range []string{"jwk", "jku", "x5u", "x5c"} {
		if _, ok := h[name]; ok {
			return "", "", reject("the header names its own keys (%q); ward takes keys only from the configured issuer", name)
		}
	}
	if _, ok := h["crit"]; ok {
		return "", "", reject("the header has crit extensions, which ward does not support")
	}
	if raw, ok := h["typ"]; ok {
		var typ string
		if json.Unmarshal(raw, &typ) != nil || !(strings.EqualFold(typ, "JWT") || strings.EqualFold(typ, "application/jwt")) {
			return "", "", reject("the header's typ is not JWT")
		}
	}
	if raw, ok := h["kid"]; ok {
		if json.Unmarshal(raw, &kid) != nil || len(kid) > 256 {
			return "", "", reject("the header's kid is not a string of at most 256 bytes")
		}
	}
	return alg, kid, nil
}

// noDuplicateKeys refuses a top-level object that repeats a member: two
// parsers could read it two ways.
func noDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return reject("malformed JSON")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return reject("malformed JSON")
		}
		k, _ := t.(string)
		if seen[k] {
			return reject("member %q appears twice", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return reject("malformed JSON")
		}
	}
	return nil
}

// decodeClaims decodes the verified payload. Unlike the header, it is not
// checked for repeated members: the issuer signed it as it is, and a
// repeated claim is the issuer's to answer for.
func decodeClaims(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, reject("the claims are not a JSON object")
	}
	return claims, nil
}

// checkStandard checks iss, aud, exp, nbf, iat and the token's age.
func (v *Validator) checkStandard(c map[string]any, role *Role) (time.Time, error) {
	if iss, ok := c["iss"].(string); !ok || iss != v.issuer {
		return time.Time{}, reject("iss is not the configured issuer (bound_issuer)")
	}
	if err := checkAudience(c["aud"], role.BoundAudiences); err != nil {
		return time.Time{}, err
	}
	now := v.now()
	exp, err := numericDate(c, "exp", true)
	if err != nil {
		return time.Time{}, err
	}
	if now.After(exp.Add(v.leeway)) {
		return time.Time{}, reject("the token expired (exp) more than %s ago", v.leeway)
	}
	if nbf, err := numericDate(c, "nbf", false); err != nil {
		return time.Time{}, err
	} else if !nbf.IsZero() && now.Add(v.leeway).Before(nbf) {
		return time.Time{}, reject("the token is not valid yet (nbf is more than %s ahead)", v.leeway)
	}
	iat, err := numericDate(c, "iat", true)
	if err != nil {
		return time.Time{}, err
	}
	if now.Add(v.leeway).Before(iat) {
		return time.Time{}, reject("the token was issued in the future (iat is more than %s ahead)", v.leeway)
	}
	maxAge := role.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	if now.Sub(iat) > maxAge+v.leeway {
		return time.Time{}, reject("the token was issued (iat) more than the role's max_age of %s ago; get a fresh one", maxAge)
	}
	return exp, nil
}

func checkAudience(aud any, bound []string) error {
	var auds []string
	switch a := aud.(type) {
	case nil:
		return reject("the token has no aud; ward needs tokens minted for it (set the audience when requesting the token)")
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return reject("aud holds a value that is not a string")
			}
			auds = append(auds, s)
		}
	default:
		return reject("aud is neither a string nor an array of strings")
	}
	for _, a := range auds {
		for _, b := range bound {
			if a == b {
				return nil
			}
		}
	}
	return reject("aud does not contain an audience the role is bound to (bound_audiences)")
}

// numericDate reads a NumericDate claim; a missing required one is an error.
func numericDate(c map[string]any, name string, required bool) (time.Time, error) {
	raw, ok := c[name]
	if !ok {
		if required {
			return time.Time{}, reject("the token has no %s", name)
		}
		return time.Time{}, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return time.Time{}, reject("%s is not a number", name)
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, reject("%s is not a valid time", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// lookupClaim finds a claim by name or, for a name starting with '/', by
// JSON pointer into nested objects. It returns nil if there is none.
func lookupClaim(c map[string]any, name string) any {
	if !strings.HasPrefix(name, "/") {
		return c[name]
	}
	var cur any = c
	for _, part := range strings.Split(name[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// checkBound checks bound_subject and bound_claims.
func checkBound(c map[string]any, role *Role) error {
	if role.BoundSubject != "" {
		if sub, ok := c["sub"].(string); !ok || sub != role.BoundSubject {
			return reject("sub does not match the role's bound_subject")
		}
	}
	glob := role.BoundClaimsType == "glob"
	names := make([]string, 0, len(role.BoundClaims))
	for name := range role.BoundClaims {
		names = append(names, name)
	}
	slices.Sort(names) // the same token is always refused for the same reason
	for _, name := range names {
		vals, err := boundValues(role.BoundClaims[name])
		if err != nil {
			return reject("the role's bound claim %q is malformed", name)
		}
		got := lookupClaim(c, name)
		if got == nil {
			return reject("the claim %q the role is bound to is missing", name)
		}
		if !claimMatches(got, vals, glob) {
			return reject("the claim %q does not match the role's bound_claims", name)
		}
	}
	return nil
}

// claimMatches reports whether got, or one element of got if it is an
// array, equals (or, for glob, matches) one of want.
func claimMatches(got any, want []any, glob bool) bool {
	if arr, ok := got.([]any); ok {
		for _, g := range arr {
			if _, nested := g.([]any); !nested && claimMatches(g, want, glob) {
				return true
			}
		}
		return false
	}
	for _, w := range want {
		if valueMatches(got, w, glob) {
			return true
		}
	}
	return false
}

func valueMatches(got, want any, glob bool) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if glob {
			return matchGlob(w, g)
		}
		return g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case json.Number:
		return numbersEqual(got, w.String())
	case float64:
		return numbersEqual(got, strconv.FormatFloat(w, 'g', -1, 64))
	}
	return false
}

func numbersEqual(got any, want string) bool {
	g, ok := got.(json.Number)
	if !ok {
		return false
	}
	a, ok1 := new(big.Rat).SetString(g.String())
	b, ok2 := new(big.Rat).SetString(want)
	return ok1 && ok2 && a.Cmp(b) == 0
}

// maxMetaValue bounds one metadata value copied from a claim.
const maxMetaValue = 512

// platformClaims maps the claims of a known CI platform into ci_* metadata.
var platformClaims = map[string][][2]string{
	"github": {
		{"repository", "ci_repository"}, {"repository_id", "ci_repository_id"},
		{"repository_owner", "ci_owner"}, {"ref", "ci_ref"}, {"sha", "ci_sha"},
		{"workflow_ref", "ci_workflow"}, {"job_workflow_ref", "ci_job_workflow"},
		{"run_id", "ci_run_id"}, {"run_attempt", "ci_run_attempt"},
		{"environment", "ci_environment"}, {"event_name", "ci_event"}, {"actor", "ci_actor"},
	},
	"gitlab": {
		{"project_path", "ci_repository"}, {"project_id", "ci_repository_id"},
		{"namespace_path", "ci_owner"}, {"ref", "ci_ref"}, {"sha", "ci_sha"},
		{"ci_config_ref_uri", "ci_workflow"}, {"pipeline_id", "ci_run_id"}, {"job_id", "ci_job_id"},
		{"environment", "ci_environment"}, {"pipeline_source", "ci_event"}, {"user_login", "ci_actor"},
	},
}

// Platform names the CI platform whose claim set c has: "github",
// "gitlab", or "".
func Platform(c map[string]any) string {
	_, run := c["run_id"]
	_, wf := c["workflow_ref"]
	_, pipe := c["pipeline_id"]
	_, proj := c["project_path"]
	switch {
	case run && wf:
		return "github"
	case pipe && proj:
		return "gitlab"
	}
	return ""
}

// metadata builds the public context of a login.
func metadata(c map[string]any, roleName string, role *Role) (map[string]string, error) {
	meta := map[string]string{"role": roleName}
	if iss, ok := c["iss"].(string); ok {
		meta["issuer"] = iss
	}
	if sub, ok := c["sub"].(string); ok {
		meta["subject"] = truncate(sub)
	}
	if p := Platform(c); p != "" {
		meta["ci_platform"] = p
		for _, m := range platformClaims[p] {
			if s, ok := scalarString(c[m[0]]); ok && s != "" {
				meta[m[1]] = truncate(s)
			}
		}
	}
	for claim, key := range role.ClaimMappings {
		v := lookupClaim(c, claim)
		if v == nil {
			continue
		}
		s, ok := scalarString(v)
		if !ok {
			return nil, reject("the claim %q in claim_mappings is not a string, number or bool", claim)
		}
		meta[key] = truncate(s)
	}
	return meta, nil
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func truncate(s string) string {
	if len(s) > maxMetaValue {
		return s[:maxMetaValue]
	}
	return s
}
