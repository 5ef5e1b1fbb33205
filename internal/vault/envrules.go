package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/wardhq/ward/internal/duration"
	"github.com/wardhq/ward/internal/storage"
)

// Metadata keys ward reads itself.
const (
	MetaOwner       = "owner"
	MetaRecipients  = "recipients"
	MetaExpiresAt   = "expires_at"   // RFC 3339
	MetaRotateEvery = "rotate_every" // a duration: 90d, 2w, 36h
)

// EnvRules are an environment's rules for the secrets in it.
// RequiredMetadata is a list of any-of groups: a secret's custom metadata
// must hold at least one key of every group. For example
// [["owner"], ["type"], ["recipients"], ["expires_at", "rotate_every"]].
// Production marks the environment production (true) or not (false);
// nil leaves it to its name (IsProd). Only an apply changes it.
type EnvRules struct {
	RequiredMetadata [][]string `json:"required_metadata"`
	Production       *bool      `json:"production,omitempty"`
}

// empty reports whether r says nothing, so that no record is kept.
func (r EnvRules) empty() bool { return len(r.RequiredMetadata) == 0 && r.Production == nil }

// ErrInvalidRules is wrapped by the error for rules that cannot be stored.
var ErrInvalidRules = errors.New("invalid environment rules")

func envRulesKey(name string) string { return "sys/envrules/" + name }

// Check reports whether the rules are well formed: every group non-empty,
// every key a metadata key of 1 to 128 printable characters.
func (r EnvRules) Check() error {
	for i, g := range r.RequiredMetadata {
		if len(g) == 0 {
			return fmt.Errorf("%w: required_metadata group %d is empty; list at least one key", ErrInvalidRules, i+1)
		}
		for _, k := range g {
			if k == "" || len(k) > 128 || strings.IndexFunc(k, func(r rune) bool { return !unicode.IsPrint(r) || r == ',' || r == '|' || r == ' ' }) >= 0 {
				return fmt.Errorf("%w: required metadata key %.40q must be 1 to 128 printable characters without spaces, ',' or '|'", ErrInvalidRules, k)
			}
		}
	}
	return nil
}

// Missing returns the groups that custom does not satisfy, in order.
func (r EnvRules) Missing(custom map[string]string) [][]string {
	var out [][]string
	for _, g := range r.RequiredMetadata {
		ok := false
		for _, k := range g {
			if custom[k] != "" {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, g)
		}
	}
	return out
}

// MissingMetadataError refuses a write whose secret lacks metadata its
// environment requires.
type MissingMetadataError struct {
	Env, Path string
	Missing   [][]string
}

func (e *MissingMetadataError) Error() string {
	var names, args []string
	for _, g := range e.Missing {
		names = append(names, strings.Join(g, " or "))
		args = append(args, g[0]+"=...")
	}
	return fmt.Sprintf("%s/%s: environment %q requires metadata %s; add it with: ward kv metadata put --env %s %s %s",
		e.Env, e.Path, e.Env, strings.Join(names, ", "), e.Env, e.Path, strings.Join(args, " "))
}

// MetadataFormatError is a metadata value ward reads that is malformed.
// The metadata is public, but only the key and the expected form are named.
type MetadataFormatError struct {
	Env, Path, Key, Want string
}

func (e *MetadataFormatError) Error() string {
	return fmt.Sprintf("%s/%s: metadata %q must be %s", e.Env, e.Path, e.Key, e.Want)
}

// CheckMetadataFormats checks the metadata keys ward reads: expires_at is
// an RFC 3339 time, rotate_every a positive duration (ParseCadence).
func CheckMetadataFormats(env, path string, custom map[string]string) error {
	if s, ok := custom[MetaExpiresAt]; ok {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return &MetadataFormatError{Env: env, Path: path, Key: MetaExpiresAt, Want: "an RFC 3339 time, like 2027-01-31T00:00:00Z"}
		}
	}
	if s, ok := custom[MetaRotateEvery]; ok {
		if _, err := ParseCadence(s); err != nil {
			return &MetadataFormatError{Env: env, Path: path, Key: MetaRotateEvery, Want: "a duration like 90d, 2w or 36h"}
		}
	}
	return nil
}

// ParseCadence parses a duration as Go does (36h, 90m) or in days and weeks
// (90d, 2w, 1w3d), at most about 100 years. It must be positive.
func ParseCadence(s string) (time.Duration, error) {
	d, ok := duration.Parse(s)
	if !ok || d <= 0 {
		return 0, fmt.Errorf("invalid duration %.40q: use a number and a unit of w, d, h, m or s, like 90d", s)
	}
	return d, nil
}

func (v *Vault) loadEnvRules(ctx context.Context, u *unsealed) (err error) {
	u.envRules, err = loadAll(ctx, v.barrier, envRulesKey(""), "rules of environment", decodeJSON[EnvRules])
	return err
}

// envRulesOp checks r and returns the storage op that stores it as the
// rules of environment name (a delete when r requires nothing).
func envRulesOp(name string, r EnvRules) (storage.Op, error) {
	if err := r.Check(); err != nil {
		return storage.Op{}, err
	}
	if r.empty() {
		return storage.Op{Kind: storage.OpDelete, Key: envRulesKey(name)}, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return storage.Op{}, err
	}
	return storage.Op{Kind: storage.OpPut, Key: envRulesKey(name), Value: b}, nil
}

// installEnvRules puts r in the cache once the transaction that stored it
// has committed.
func (v *Vault) installEnvRules(name string, r EnvRules) error {
	u, err := v.state()
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.setEnvRules(name, r)
	return nil
}

// setEnvRules caches r as environment name's rules; u.mu is held.
func (u *unsealed) setEnvRules(name string, r EnvRules) {
	if r.empty() {
		delete(u.envRules, name)
	} else {
		u.envRules[name] = r
	}
}

// EnvRules returns the rules of environment name; the zero EnvRules when
// none are set.
func (v *Vault) EnvRules(name string) (EnvRules, error) {
	if _, err := v.Env(name); err != nil {
		return EnvRules{}, err
	}
	u, err := v.state()
	if err != nil {
		return EnvRules{}, err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.envRules[name], nil
}

// ErrProductionByApply refuses a change of an environment's production
// mark anywhere but in an apply, where it is planned, reviewed and held to
// the apply-to-prod default.
var ErrProductionByApply = errors.New("an environment's production mark is changed only by an apply")

// SetEnvRules replaces the required metadata of environment name. Secrets
// already stored are not checked; each is held to the rules at its next
// write. r.Production nil keeps the environment's mark; any other value
// must equal it (ErrProductionByApply).
func (v *Vault) SetEnvRules(ctx context.Context, name string, r EnvRules) error {
	cur, err := v.EnvRules(name)
	if err != nil {
		return err
	}
	switch {
	case r.Production == nil:
		r.Production = cur.Production
	case cur.Production == nil || *cur.Production != *r.Production:
		return fmt.Errorf("%w: declare production: %v for %s in environments.yaml and run ward apply", ErrProductionByApply, *r.Production, name)
	}
	op, err := envRulesOp(name, r)
	if err != nil {
		return err
	}
	u, err := v.state()
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := v.barrier.Transaction(ctx, []storage.Op{op}); err != nil {
		return err
	}
	u.setEnvRules(name, r)
	return nil
}

// IsProdEnv reports whether environment name is production: as its
// definition marks it (environments.yaml's production), else by its name
// (IsProd).
func (v *Vault) IsProdEnv(name string) bool {
	u, err := v.state()
	if err != nil {
		return IsProd(name)
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return ProdOf(name, u.envRules[name].Production)
}

// ProdOf is whether an environment is production given its mark (nil when
// unmarked): the mark, else its name (IsProd).
func ProdOf(name string, marked *bool) bool {
	if marked != nil {
		return *marked
	}
	return IsProd(name)
}

// dropEnvRules removes the rules of a deleted environment.
func (v *Vault) dropEnvRules(ctx context.Context, name string) error {
	if err := v.barrier.Delete(ctx, envRulesKey(name)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return v.installEnvRules(name, EnvRules{})
}
