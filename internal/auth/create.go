package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/wardtoken"
)

// CreateRoot makes a root token: policy "root", every environment, no
// parent, no expiry, not renewable. The vault calls it at init and when an
// operator generates a new root; the token should be revoked once used.
func (s *Store) CreateRoot(ctx context.Context) (string, *Token, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.insertLocked(ctx, &Token{
		Policies:    []string{RootPolicy},
		DisplayName: "root",
		CreatedAt:   s.stamp(),
	})
}

// Create makes a token from req, as a child of parent unless req.NoParent.
// A nil parent means ward itself is issuing the token (a login): it is an
// orphan, must name its policies and environment, and cannot be root.
//
// The rules are in the package doc; a request that breaks one is a
// *DeniedError, a malformed one a *RequestError, and a parent that is no
// longer valid ErrInvalidToken. The TTL is capped silently, as Vault caps
// it; compare the returned TTL with the one asked for to warn. Metadata
// keys and display names that ward's logins write (IdentityMetaKey,
// ci_*, role, mfa, ...; see ReservedMetaKey) are a *RequestError: only
// CreateLogin writes them.
func (s *Store) Create(ctx context.Context, parent *Token, req CreateRequest) (string, *Token, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	now := s.stamp()
	if parent != nil {
		var err error
		if parent, err = s.currentLocked(ctx, parent); err != nil {
			return "", nil, err
		}
		if !parent.live(now) {
			return "", nil, ErrInvalidToken
		}
	}
	if err := checkUnreserved(req); err != nil {
		return "", nil, err
	}
	t, err := s.child(parent, req, now)
	if err != nil {
		return "", nil, err
	}
	return s.insertLocked(ctx, t)
}

// child applies the rules of Create to req, giving the token to insert.
func (s *Store) child(parent *Token, req CreateRequest, now time.Time) (*Token, error) {
	rootParent := parent != nil && parent.IsRoot()
	if req.NoParent && parent != nil && !rootParent {
		return nil, &DeniedError{Rule: RuleNoParent}
	}
	policies, err := s.childPolicies(parent, req.Policies)
	if err != nil {
		return nil, err
	}
	t := &Token{Policies: policies, CreatedAt: now, Meta: cloneMeta(req.Meta)}
	if t.Env, t.EnvID, err = childEnv(parent, req); err != nil {
		return nil, err
	}
	isRoot := slices.Contains(policies, RootPolicy)
	switch {
	case isRoot && t.EnvID != "":
		return nil, &RequestError{"policies", "a root token reaches every environment; drop the root policy or the environment"}
	case !isRoot && t.EnvID == "":
		return nil, &RequestError{"env", "every token is bound to exactly one environment; name one"}
	}
	if parent != nil && !req.NoParent {
		t.Parent, t.parentHash = parent.Accessor, parent.hash
	}
	t.Renewable = req.Renewable == nil || *req.Renewable
	if t.DisplayName, err = displayName(req.DisplayName); err != nil {
		return nil, err
	}
	if err := s.setLife(t, parent, req, now); err != nil {
		return nil, err
	}
	return t, nil
}

// childPolicies returns the sorted, unique policies of the new token.
func (s *Store) childPolicies(parent *Token, asked []string) ([]string, error) {
	var out []string
	for _, p := range asked {
		if err := policy.ValidGrant(p); err != nil {
			return nil, &RequestError{"policies", err.Error()}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		if parent == nil {
			return nil, &RequestError{"policies", "name the token's policies"}
		}
		out = slices.Clone(parent.Policies)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if parent != nil && parent.IsRoot() {
		return out, nil
	}
	for _, p := range out {
		switch {
		case p == RootPolicy:
			return nil, &DeniedError{Rule: RuleRootPolicy}
		case parent != nil && !slices.Contains(parent.Policies, p):
			return nil, &DeniedError{Rule: RulePolicySubset, Policy: p}
		}
	}
	return out, nil
}

// childEnv returns the environment of the new token.
func childEnv(parent *Token, req CreateRequest) (env, envID string, err error) {
	if strings.Contains(req.EnvID, "/") {
		return "", "", &RequestError{"env_id", "an environment ID cannot contain /"}
	}
	if req.Env != "" && req.EnvID == "" {
		return "", "", &RequestError{"env_id", "give the environment's ID with its name"}
	}
	if parent == nil || parent.IsRoot() {
		return req.Env, req.EnvID, nil
	}
	if (req.EnvID != "" && req.EnvID != parent.EnvID) || (req.Env != "" && req.Env != parent.Env) {
		return "", "", &DeniedError{Rule: RuleEnv}
	}
	return parent.Env, parent.EnvID, nil
}

func displayName(asked string) (string, error) {
	asked = strings.TrimSpace(asked)
	switch {
	case asked == "":
		return "token", nil
	case len(asked) > maxDisplayName:
		return "", &RequestError{"display_name", "longer than 256 bytes"}
	}
	return "token-" + asked, nil
}

func cloneMeta(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// setLife sets t's TTL, ExplicitMaxTTL and ExpiresAt from req, capped by
// ExplicitMaxTTL, Config.MaxTTL and the parent's expiry.
func (s *Store) setLife(t, parent *Token, req CreateRequest, now time.Time) error {
	switch {
	case req.TTL < 0:
		return &RequestError{"ttl", "negative"}
	case req.ExplicitMaxTTL < 0:
		return &RequestError{"explicit_max_ttl", "negative"}
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = s.defaultTTL
	}
	t.ExplicitMaxTTL = req.ExplicitMaxTTL
	t.ExpiresAt = s.capExpiry(t, parent, now.Add(ttl))
	t.TTL = t.ExpiresAt.Sub(now)
	if t.TTL <= 0 {
		return ErrInvalidToken // the parent expires now
	}
	return nil
}

// capExpiry returns exp, or the earliest cap on t's life if that is
// sooner: ExplicitMaxTTL and Config.MaxTTL from t's creation, and the
// expiry of parent (nil for orphans).
func (s *Store) capExpiry(t, parent *Token, exp time.Time) time.Time {
	if t.ExplicitMaxTTL > 0 {
		exp = earlier(exp, t.CreatedAt.Add(t.ExplicitMaxTTL))
	}
	exp = earlier(exp, t.CreatedAt.Add(s.maxTTL))
	if parent != nil && t.parentHash != "" && !parent.ExpiresAt.IsZero() {
		exp = earlier(exp, parent.ExpiresAt)
	}
	return exp
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// insertLocked gives t a new token and accessor and stores it with its
// indexes in one transaction.
func (s *Store) insertLocked(ctx context.Context, t *Token) (string, *Token, error) {
	secret, err := wardtoken.New(s.rand)
	if err != nil {
		return "", nil, err
	}
	if t.Accessor, err = wardtoken.NewAccessor(s.rand); err != nil {
		return "", nil, err
	}
	t.hash = wardtoken.Hash(secret)
	val, err := encode(t)
	if err != nil {
		return "", nil, err
	}
	ops := []storage.Op{
		{Kind: storage.OpPut, Key: idKey(t.hash), Value: val},
		{Kind: storage.OpPut, Key: accessorKey(t.Accessor), Value: []byte(t.hash)},
	}
	if t.parentHash != "" {
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: childKey(t.parentHash, t.hash), Value: []byte{}})
	}
	if t.EnvID != "" {
		ops = append(ops, storage.Op{Kind: storage.OpPut, Key: envDir(t.EnvID) + t.hash, Value: []byte{}})
	}
	if err := s.st.Transaction(ctx, ops); err != nil {
		return "", nil, err
	}
	s.cache.put(t)
	return secret, t.clone(), nil
}
