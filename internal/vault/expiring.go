package vault

import (
	"context"
	"sort"
	"time"
)

// Expiring is a secret past or near its expires_at, or due for rotation by
// its rotate_every counted from its last write.
type Expiring struct {
	Env    string    `json:"env"`
	Path   string    `json:"path"`
	Reason string    `json:"reason"` // "expires_at" or "rotate_every"
	Due    time.Time `json:"due"`
	// Overdue is true when Due has passed.
	Overdue bool   `json:"overdue"`
	Owner   string `json:"owner,omitempty"`
	// Rotation is "" when no scheduled rotation failed; "needs a person"
	// when its type has no generator; "failed: REASON" (the old value
	// stays current and the rotation is retried with backoff).
	Rotation string `json:"rotation,omitempty"`
	// NextTry is when a failed scheduled rotation is tried again; zero
	// when none failed or it needs a person.
	NextTry time.Time `json:"next_try,omitzero"`
}

// ExpiringSecrets lists the secrets of envs that are due within the given
// window from now (or already overdue), soonest first. Malformed
// expires_at or rotate_every values, which writes refuse, are skipped.
func (v *Vault) ExpiringSecrets(ctx context.Context, envs []*Env, within time.Duration) ([]Expiring, error) {
	now := v.cfg.Now().UTC()
	limit := now.Add(within)
	var out []Expiring
	for _, env := range envs {
		err := v.WalkEnvMetadata(ctx, env, func(s SecretInfo) error {
			cm := s.Metadata.CustomMetadata
			add := func(reason string, due time.Time) {
				if !due.After(limit) {
					out = append(out, Expiring{Env: s.Env, Path: s.Path, Reason: reason, Due: due, Overdue: !due.After(now), Owner: cm[MetaOwner]})
				}
			}
			if at, ok := cm[MetaExpiresAt]; ok {
				if t, err := time.Parse(time.RFC3339, at); err == nil {
					add(MetaExpiresAt, t.UTC())
				}
			}
			if every, ok := cm[MetaRotateEvery]; ok {
				if d, err := ParseCadence(every); err == nil {
					if cur, ok := s.Metadata.Versions[s.Metadata.CurrentVersion]; ok {
						add(MetaRotateEvery, cur.CreatedTime.Add(d).UTC())
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out = v.withRotationFailures(out, envs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out, nil
}

// withRotationFailures marks each listed secret whose scheduled rotation
// failed or needs a person, and adds those not listed (a failed rotation
// is loud even when the secret is not yet due by the window).
func (v *Vault) withRotationFailures(out []Expiring, envs []*Env) []Expiring {
	failures, err := v.RotationFailures()
	if err != nil {
		return out
	}
	in := map[string]bool{}
	for _, e := range envs {
		in[e.Name] = true
	}
	for _, f := range failures {
		if !in[f.Item.Env] {
			continue
		}
		state := "failed: " + f.Reason
		if f.NeedsPerson {
			state = "needs a person"
		}
		found := false
		for i := range out {
			if out[i].Env == f.Item.Env && out[i].Path == f.Item.Path {
				out[i].Rotation, out[i].NextTry, found = state, f.NextTry, true
			}
		}
		if !found {
			due := f.Since
			out = append(out, Expiring{Env: f.Item.Env, Path: f.Item.Path, Reason: "rotation", Due: due, Overdue: true, Owner: f.Item.Owner, Rotation: state, NextTry: f.NextTry})
		}
	}
	return out
}
