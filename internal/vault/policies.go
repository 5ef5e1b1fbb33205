package vault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/storage"
)

func policyKey(name string) string { return "sys/policies/" + name }

func (v *Vault) loadPolicies(ctx context.Context, u *unsealed) (err error) {
	u.policies, err = loadAll(ctx, v.barrier, policyKey(""), "policy", policy.Parse)
	return err
}

// PutPolicy parses src and stores it as policy name, replacing any before it.
func (v *Vault) PutPolicy(ctx context.Context, name string, src []byte) (*policy.Policy, error) {
	if err := policy.ValidName(name); err != nil {
		return nil, err
	}
	p, err := policy.Parse(name, src)
	if err != nil {
		return nil, err
	}
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := v.barrier.Put(ctx, &storage.Entry{Key: policyKey(name), Value: src}); err != nil {
		return nil, err
	}
	u.policies[name] = p
	clear(u.acls)
	return p, nil
}

// Policy returns the policy called name.
func (v *Vault) Policy(name string) (*policy.Policy, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	p, ok := u.policies[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrPolicyNotFound, name)
	}
	return p, nil
}

// Policies lists policy names, sorted.
func (v *Vault) Policies() ([]string, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]string, 0, len(u.policies))
	for n := range u.policies {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// DeletePolicy removes a policy. Tokens that name it lose what it granted.
func (v *Vault) DeletePolicy(ctx context.Context, name string) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.policies[name]; !ok {
		return fmt.Errorf("%w: %q", ErrPolicyNotFound, name)
	}
	if err := v.barrier.Delete(ctx, policyKey(name)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	delete(u.policies, name)
	clear(u.acls)
	return nil
}

// ACL returns the compiled access list for a set of policy names. The name
// "root" gives the root ACL; unknown names grant nothing.
func (v *Vault) ACL(names []string) (*policy.ACL, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	key := strings.Join(names, "\x00")
	u.mu.RLock()
	acl, ok := u.acls[key]
	u.mu.RUnlock()
	if ok {
		return acl, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	var ps []*policy.Policy
	for _, n := range names {
		if n == "root" {
			acl = policy.Root()
			break
		}
		if p, ok := u.policies[n]; ok {
			ps = append(ps, p)
		}
	}
	if acl == nil {
		acl = policy.NewACL(ps...)
	}
	u.acls[key] = acl
	return acl, nil
}
