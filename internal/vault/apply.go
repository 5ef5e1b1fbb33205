package vault

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/policy"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/types"
)

// ErrPlanChanged is returned by Apply when the changes it would make are
// not the ones the caller reviewed (ApplyOptions.Expect): the server or the
// directory moved in between.
var ErrPlanChanged = errors.New("the plan changed since it was reviewed")

// ApplyOptions tunes Plan and Apply.
type ApplyOptions struct {
	plan.Options
	// Expect, when set, is the plan.Digest of the changes the caller
	// reviewed; Apply refuses to make any other changes.
	Expect string
}

// CurrentState returns what the vault holds of what desired speaks of:
// every environment, policy and type, and the metadata of each secret
// desired declares.
func (v *Vault) CurrentState(ctx context.Context, desired *plan.State) (*plan.State, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	cur := &plan.State{Manages: plan.Manages{Envs: true, Policies: true, Types: true}}
	u.mu.RLock()
	envs := maps.Clone(u.envs)
	for _, p := range u.policies {
		cur.Policies = append(cur.Policies, plan.Policy{Name: p.Name, Text: string(p.Raw)})
	}
	u.mu.RUnlock()
	for _, e := range envs {
		pe, err := v.currentEnv(e.Name)
		if err != nil {
			return nil, err
		}
		cur.Envs = append(cur.Envs, pe)
	}
	if cur.Types, err = v.currentTypes(); err != nil {
		return nil, err
	}
	if err := v.currentAlerts(ctx, cur); err != nil {
		return nil, err
	}
	for _, want := range desired.Secrets {
		s := plan.Secret{Env: want.Env, Path: want.Path}
		if e, ok := envs[want.Env]; ok {
			md, err := e.kv.Metadata(ctx, want.Path)
			switch {
			case err == nil:
				s.Exists, s.Metadata = true, md.CustomMetadata
			case !errors.Is(err, secrets.ErrNotFound):
				return nil, err
			}
		}
		cur.Secrets = append(cur.Secrets, s)
	}
	cur.Sort()
	return cur, nil
}

// Plan checks desired and returns the changes Apply would make, with their
// digest for ApplyOptions.Expect. A desired state with problems is an
// *plan.Error naming each at its file and line.
func (v *Vault) Plan(ctx context.Context, desired *plan.State, opt ApplyOptions) ([]plan.Change, string, error) {
	cur, err := v.CurrentState(ctx, desired)
	if err != nil {
		return nil, "", err
	}
	changes, err := v.check(ctx, cur, desired, opt)
	if err != nil {
		return nil, "", err
	}
	return changes, plan.Digest(changes), nil
}

// check validates desired against the vault and diffs it with cur.
func (v *Vault) check(ctx context.Context, cur, desired *plan.State, opt ApplyOptions) ([]plan.Change, error) {
	if err := plan.Validate(desired, knownType(cur, desired, opt)); err != nil {
		return nil, err
	}
	changes := plan.Diff(cur, desired, opt.Options)
	ps, err := v.checkSecrets(ctx, desired, changes)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if c.Kind != plan.KindEnv {
			continue
		}
		switch c.Action {
		case plan.Create:
			if err := ValidEnvName(c.Name); err != nil {
				ps = append(ps, plan.Problem{File: c.Source.File, Line: c.Source.Line, Msg: err.Error()})
			}
		case plan.Delete:
			env, err := v.Env(c.Name)
			if err != nil {
				return nil, err
			}
			full, err := env.kv.HasSecrets(ctx)
			if err != nil {
				return nil, err
			}
			if full {
				ps = append(ps, plan.Problem{File: plan.EnvironmentsFile, Msg: fmt.Sprintf(
					"--prune would delete environment %q, which holds secrets; apply never destroys secrets: declare the environment again, or delete it with 'ward env delete %s --yes'", c.Name, c.Name)})
			}
		}
	}
	if len(ps) > 0 {
		return nil, &plan.Error{Problems: ps}
	}
	return changes, nil
}

// Apply checks desired and makes every change Plan lists, or none: all of
// them are one storage transaction, after which the vault's caches are
// refreshed. Two steps sit outside the transaction, since the barrier keeps
// environment keys in its own records: a new environment's data key is
// created before it (and destroyed again when the transaction fails; a key
// without an environment record reaches nothing), and a pruned
// environment's key, tokens and leftover records are removed after it (the
// environment is gone from the moment the transaction commits).
func (v *Vault) Apply(ctx context.Context, desired *plan.State, opt ApplyOptions) ([]plan.Change, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.apply.Lock()
	defer u.apply.Unlock()
	cur, err := v.CurrentState(ctx, desired)
	if err != nil {
		return nil, err
	}
	changes, err := v.check(ctx, cur, desired, opt)
	if err != nil {
		return nil, err
	}
	if opt.Expect != "" && plan.Digest(changes) != opt.Expect {
		return nil, ErrPlanChanged
	}
	if len(changes) == 0 {
		return changes, nil
	}
	tx := &applyTx{v: v, u: u, desired: desired, newEnvs: map[string]*Env{}, types: map[string]*types.Type{}}
	defer tx.release()
	if err := tx.build(ctx, changes); err != nil {
		tx.undo(ctx)
		return nil, err
	}
	if err := tx.commit(ctx, changes); err != nil {
		tx.undo(ctx)
		return nil, err
	}
	tx.cleanup(ctx)
	return changes, nil
}

// applyTx is one Apply's ops and what to do around them.
type applyTx struct {
	v       *Vault
	u       *unsealed
	desired *plan.State
	ops     []storage.Op
	newEnvs map[string]*Env        // created keys, by name
	gone    []*Env                 // pruned environments
	unlock  []func()               // path locks held until the commit is done
	install []func()               // cache updates, run under u.mu after the commit
	types   map[string]*types.Type // types the transaction stores, compiled
}

func (tx *applyTx) release() {
	for _, f := range tx.unlock {
		f()
	}
	tx.unlock = nil
}

// build makes the ops of every change, creating new environments' keys.
func (tx *applyTx) build(ctx context.Context, changes []plan.Change) error {
	secretsByEnv := map[string]map[string]map[string]string{}
	for _, c := range changes {
		var err error
		switch c.Kind {
		case plan.KindEnv:
			err = tx.env(ctx, c)
		case plan.KindType:
			err = tx.typeChange(c)
		case plan.KindPolicy:
			err = tx.policy(c)
		case plan.KindAlerts:
			err = tx.alertsChange()
		case plan.KindSecret:
			s := tx.secret(c.Name)
			if secretsByEnv[s.Env] == nil {
				secretsByEnv[s.Env] = map[string]map[string]string{}
			}
			secretsByEnv[s.Env][s.Path] = s.Metadata
		}
		if err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(secretsByEnv)) {
		env := tx.newEnvs[name]
		if env == nil {
			var err error
			if env, err = tx.v.Env(name); err != nil {
				return err
			}
		}
		ops, release, err := env.kv.PrepareCustomMetadata(ctx, secretsByEnv[name], tx.checkValue(name))
		if err != nil {
			return err
		}
		tx.unlock = append(tx.unlock, release)
		written := secretsByEnv[name]
		tx.install = append(tx.install, func() { // written beside the engine: its cache learns it here
			for p := range written {
				env.meta.touch(p)
			}
		})
		for _, op := range ops {
			op.Key = envKVPrefix(env.ID) + op.Key
			tx.ops = append(tx.ops, op)
		}
	}
	return nil
}

func (tx *applyTx) secret(id string) *plan.Secret {
	for i := range tx.desired.Secrets {
		if tx.desired.Secrets[i].ID() == id {
			return &tx.desired.Secrets[i]
		}
	}
	panic("vault: apply: a secret change without its declaration")
}

func (tx *applyTx) env(ctx context.Context, c plan.Change) error {
	switch c.Action {
	case plan.Create:
		var raw [16]byte
		if _, err := io.ReadFull(tx.v.cfg.Rand, raw[:]); err != nil {
			return err
		}
		env := &Env{Name: c.Name, ID: hex.EncodeToString(raw[:]), CreatedAt: tx.v.cfg.Now().UTC()}
		if err := tx.v.barrier.CreateEnvKey(ctx, env.ID); err != nil {
			return err
		}
		tx.v.attach(env)
		tx.newEnvs[c.Name] = env
		b, _ := json.Marshal(env)
		tx.ops = append(tx.ops, storage.Op{Kind: storage.OpPut, Key: envKey(c.Name), Value: b})
		tx.install = append(tx.install, func() { tx.u.envs[env.Name] = env })
	case plan.Delete:
		env, err := tx.v.Env(c.Name)
		if err != nil {
			return err
		}
		tx.gone = append(tx.gone, env)
		tx.ops = append(tx.ops, storage.Op{Kind: storage.OpDelete, Key: envKey(c.Name)})
		tx.install = append(tx.install, func() { delete(tx.u.envs, env.Name) })
	}
	return tx.envRules(c)
}

func (tx *applyTx) policy(c plan.Change) error {
	if c.Action == plan.Delete {
		tx.ops = append(tx.ops, storage.Op{Kind: storage.OpDelete, Key: policyKey(c.Name)})
		tx.install = append(tx.install, func() { delete(tx.u.policies, c.Name) })
		return nil
	}
	src := []byte(tx.desired.Policy(c.Name).Text)
	p, err := policy.Parse(c.Name, src)
	if err != nil {
		return err // Validate has parsed it already
	}
	tx.ops = append(tx.ops, storage.Op{Kind: storage.OpPut, Key: policyKey(c.Name), Value: src})
	tx.install = append(tx.install, func() { tx.u.policies[c.Name] = p })
	return nil
}

// commit runs the transaction and, under the vault's lock, checks that no
// one created or deleted an environment it touches in the meantime, then
// updates the caches.
func (tx *applyTx) commit(ctx context.Context, changes []plan.Change) error {
	tx.u.mu.Lock()
	defer tx.u.mu.Unlock()
	for name := range tx.newEnvs {
		if _, ok := tx.u.envs[name]; ok {
			return fmt.Errorf("%w: environment %q was created meanwhile", ErrPlanChanged, name)
		}
	}
	for _, env := range tx.gone {
		if tx.u.envs[env.Name] != env {
			return fmt.Errorf("%w: environment %q was changed meanwhile", ErrPlanChanged, env.Name)
		}
	}
	if err := tx.v.barrier.Transaction(ctx, tx.ops); err != nil {
		return err
	}
	for _, f := range tx.install {
		f()
	}
	clear(tx.u.acls)
	return nil
}

// undo destroys the keys made for environments that were not committed.
func (tx *applyTx) undo(ctx context.Context) {
	for _, env := range tx.newEnvs {
		if err := tx.v.barrier.DestroyEnvKey(context.WithoutCancel(ctx), env.ID); err != nil {
			tx.v.cfg.Logger.Warn("apply: destroying an unused environment key failed", ErrorLogArgs(err, "env", env.Name)...)
		}
	}
}

// cleanup removes what pruned environments leave behind, as DeleteEnv does.
// Failures are logged: the environments are already gone.
func (tx *applyTx) cleanup(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, env := range tx.gone {
		err := tx.v.barrier.DestroyEnvKey(ctx, env.ID)
		if err == nil {
			_, err = tx.u.tokens.RevokeEnv(ctx, env.ID)
		}
		if err == nil {
			err = deleteTree(ctx, tx.v.barrier, envPrefix(env.ID))
		}
		if err != nil {
			tx.v.cfg.Logger.Warn("apply: cleaning up a pruned environment failed", ErrorLogArgs(err, "env", env.Name)...)
		}
	}
}
