package rotate

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Reader is a token that read a secret.
type Reader struct {
	Accessor string    `json:"accessor"`
	Identity string    `json:"identity"`
	Path     string    `json:"path"`
	At       time.Time `json:"at"`
}

// Readers knows who read what: the vault's usage records and tokens.
type Readers interface {
	// ReadersSince lists the tokens that read a secret of env under
	// prefix at or after since, one Reader per token (its latest read).
	ReadersSince(ctx context.Context, env, prefix string, since time.Time) ([]Reader, error)
	// RevokeToken revokes a token by accessor (its leases and children
	// too). A token already gone is nil.
	RevokeToken(ctx context.Context, accessor string) error
}

// DrillConfig configures a Driller. Engines is required.
type DrillConfig struct {
	Engines []Engine
	Leases  LeaseRevoker // nil: no leases to revoke
	Readers Readers      // nil: no tokens to revoke
	Now     func() time.Time
	Rand    io.Reader // drill ids; nil: crypto/rand
	Workers int       // rotations at once; 0: 8
}

// Driller runs breach drills.
type Driller struct{ cfg DrillConfig }

// NewDriller returns a Driller.
func NewDriller(cfg DrillConfig) *Driller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = crand.Reader
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	return &Driller{cfg: cfg}
}

// DrillRequest is one drill: everything of Env under Prefix is taken as
// compromised.
type DrillRequest struct {
	Env    string
	Prefix string    // "" is the whole environment
	Since  time.Time // tokens that read under Prefix since then are revoked
	DryRun bool      // list what would happen, change nothing
}

// DrillReport is what a drill did (or, dry, would do). It holds paths,
// accessors, owners and times, never a value.
type DrillReport struct {
	ID       string         `json:"id"`
	Env      string         `json:"env"`
	Prefix   string         `json:"prefix"`
	Since    time.Time      `json:"since,omitzero"`
	DryRun   bool           `json:"dry_run"`
	Started  time.Time      `json:"started"`
	Took     Duration       `json:"took"`
	Steps    []StepTime     `json:"steps"`
	Leases   int            `json:"leases"` // revoked (dry: would be)
	Tokens   []TokenResult  `json:"tokens"`
	Secrets  []SecretResult `json:"secrets"`
	Contacts []Contact      `json:"contacts"` // owners of what could not be rotated
	Empty    bool           `json:"empty"`    // the prefix holds nothing
}

// StepTime is how long one step of the drill took.
type StepTime struct {
	Step string   `json:"step"`
	Took Duration `json:"took"`
}

// TokenResult is one token that read under the prefix.
type TokenResult struct {
	Reader
	Revoked bool   `json:"revoked"`
	Error   string `json:"error,omitempty"`
}

// SecretResult is one secret or static role.
type SecretResult struct {
	Kind  string `json:"kind"`
	Path  string `json:"path"`
	Owner string `json:"owner,omitempty"`
	// Action: "rotated", "needs a person", "failed"; dry: "would rotate",
	// "needs a person".
	Action string `json:"action"`
	// RevokedAfter and ReissuedAfter are since the drill's start: when the
	// old value was dead and the new one current and checked (one
	// rotation with no overlap does both, so they are equal unless the
	// target has no way to check the old value).
	RevokedAfter  Duration `json:"revoked_after,omitempty"`
	ReissuedAfter Duration `json:"reissued_after,omitempty"`
	Rotation      Duration `json:"rotation,omitempty"` // this rotation alone
	Verified      string   `json:"verified,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// Contact is an owner to reach about secrets the drill could not rotate.
type Contact struct {
	Owner string   `json:"owner"` // "" when the secret names none
	Paths []string `json:"paths"`
}

// Duration is a time.Duration that reads well in JSON ("1.5s").
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).Round(time.Microsecond).String() }

// MarshalText writes the duration as Go prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// Run runs a drill. Errors are for a drill that could not run (listing
// failed); what failed per secret or token is in the report.
func (d *Driller) Run(ctx context.Context, req DrillRequest) (*DrillReport, error) {
	id := make([]byte, 8)
	if _, err := io.ReadFull(d.cfg.Rand, id); err != nil {
		return nil, err
	}
	start := d.cfg.Now()
	rep := &DrillReport{ID: "drill-" + hex.EncodeToString(id), Env: req.Env, Prefix: req.Prefix, Since: req.Since, DryRun: req.DryRun, Started: start.UTC(),
		Tokens: []TokenResult{}, Secrets: []SecretResult{}, Contacts: []Contact{}}
	step := func(name string, t0 time.Time) {
		rep.Steps = append(rep.Steps, StepTime{Step: name, Took: Duration(d.cfg.Now().Sub(t0))})
	}

	t0 := d.cfg.Now()
	type job struct {
		e  Engine
		it Item
	}
	var jobs []job
	for _, e := range d.cfg.Engines {
		items, err := e.Items(ctx, req.Env, req.Prefix)
		if err != nil {
			return nil, fmt.Errorf("listing %s items under %q: %w", e.Kind(), req.Prefix, err)
		}
		for _, it := range items {
			jobs = append(jobs, job{e, it})
		}
	}
	var readers []Reader
	if d.cfg.Readers != nil {
		var err error
		if readers, err = d.cfg.Readers.ReadersSince(ctx, req.Env, req.Prefix, req.Since); err != nil {
			return nil, fmt.Errorf("listing readers: %w", err)
		}
	}
	step("list", t0)

	if req.DryRun {
		if d.cfg.Leases != nil {
			n, err := d.cfg.Leases.CountUnder(ctx, req.Env, req.Prefix)
			if err != nil {
				return nil, err
			}
			rep.Leases = n
		}
		for _, r := range readers {
			rep.Tokens = append(rep.Tokens, TokenResult{Reader: r})
		}
		for _, j := range jobs {
			res := SecretResult{Kind: j.it.Kind, Path: j.it.Path, Owner: j.it.Owner, Action: "would rotate"}
			if ok, err := j.e.CanRotate(ctx, j.it); err != nil {
				res.Action, res.Error = "failed", err.Error()
			} else if !ok {
				res.Action = "needs a person"
			}
			rep.Secrets = append(rep.Secrets, res)
		}
		return d.finish(rep, start), nil
	}

	t0 = d.cfg.Now()
	if d.cfg.Leases != nil {
		n, err := d.cfg.Leases.RevokeUnder(ctx, req.Env, req.Prefix)
		rep.Leases = n
		if err != nil {
			// Failed revocations are retried by the lease manager; say so.
			rep.Steps = append(rep.Steps, StepTime{Step: "leases: " + err.Error()})
		}
	}
	step("revoke leases", t0)

	t0 = d.cfg.Now()
	for _, r := range readers {
		tr := TokenResult{Reader: r, Revoked: true}
		if err := d.cfg.Readers.RevokeToken(ctx, r.Accessor); err != nil {
			tr.Revoked, tr.Error = false, err.Error()
		}
		rep.Tokens = append(rep.Tokens, tr)
	}
	step("revoke tokens", t0)

	t0 = d.cfg.Now()
	results := make([]SecretResult, len(jobs))
	parallel(len(jobs), d.cfg.Workers, func(i int) { results[i] = d.rotate(ctx, jobs[i].e, jobs[i].it, rep.ID, start) })
	rep.Secrets = results
	step("rotate and verify", t0)
	return d.finish(rep, start), nil
}

func (d *Driller) rotate(ctx context.Context, e Engine, it Item, id string, start time.Time) SecretResult {
	res := SecretResult{Kind: it.Kind, Path: it.Path, Owner: it.Owner}
	t0 := d.cfg.Now()
	out, err := e.RotateItem(ctx, it, Options{NoOverlap: true, Reason: "drill", DrillID: id})
	done := d.cfg.Now()
	res.Rotation = Duration(done.Sub(t0))
	if out != nil {
		res.Verified = out.Verified
	}
	switch {
	case errors.Is(err, ErrNeedsPerson):
		res.Action = "needs a person"
	case err != nil:
		res.Action, res.Error = "failed", err.Error()
	default:
		res.Action = "rotated"
		res.ReissuedAfter = Duration(done.Sub(start))
		if strings.Contains(res.Verified, "old dead") {
			res.RevokedAfter = res.ReissuedAfter
		}
	}
	return res
}

func (d *Driller) finish(rep *DrillReport, start time.Time) *DrillReport {
	rep.Took = Duration(d.cfg.Now().Sub(start))
	rep.Empty = len(rep.Secrets) == 0 && len(rep.Tokens) == 0 && rep.Leases == 0
	slices.SortFunc(rep.Secrets, func(a, b SecretResult) int { return strings.Compare(a.Path, b.Path) })
	byOwner := map[string][]string{}
	for _, s := range rep.Secrets {
		if s.Action == "needs a person" || s.Action == "failed" {
			byOwner[s.Owner] = append(byOwner[s.Owner], s.Path)
		}
	}
	for owner, paths := range byOwner {
		rep.Contacts = append(rep.Contacts, Contact{Owner: owner, Paths: paths})
	}
	slices.SortFunc(rep.Contacts, func(a, b Contact) int { return strings.Compare(a.Owner, b.Owner) })
	return rep
}
