package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/types"
)

// The parts of Apply that deal with types and environments' required
// metadata.

// currentEnv returns environment name as a plan describes it: its
// required metadata and production mark.
func (v *Vault) currentEnv(name string) (plan.Env, error) {
	r, err := v.EnvRules(name)
	return plan.Env{Name: name, RequiredMetadata: r.RequiredMetadata, Production: r.Production}, err
}

// currentTypes returns the stored types (not the built-in ones, which no
// directory declares).
func (v *Vault) currentTypes() ([]plan.Type, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]plan.Type, 0, len(u.types))
	for name, t := range u.types {
		out = append(out, plan.Type{Name: name, Schema: string(t.Source())})
	}
	return out, nil
}

// knownType reports the types a secret may name beside the desired
// state's own: the built-in ones, and the stored ones unless the desired
// state prunes them.
func knownType(cur, desired *plan.State, opt ApplyOptions) func(string) bool {
	pruned := opt.Prune && desired.Manages.Types
	return func(name string) bool {
		return types.IsBuiltin(name) || !pruned && cur.Type(name) != nil
	}
}

// checkSecrets finds what only the vault can: a declared secret that lacks
// metadata its environment requires (by the desired rules when the state
// manages environments, else the stored ones), metadata the vault reads in
// a form it cannot, and a pruned type that an undeclared secret still
// names.
func (v *Vault) checkSecrets(ctx context.Context, desired *plan.State, changes []plan.Change) ([]plan.Problem, error) {
	var ps []plan.Problem
	for _, s := range desired.Secrets {
		var rules EnvRules
		if e := desired.Env(s.Env); e != nil && desired.Manages.Envs {
			rules.RequiredMetadata = e.RequiredMetadata
		} else if r, err := v.EnvRules(s.Env); err == nil {
			rules = r
		}
		if missing := rules.Missing(s.Metadata); len(missing) > 0 {
			var names []string
			for _, g := range missing {
				names = append(names, strings.Join(g, " or "))
			}
			ps = append(ps, plan.Problem{File: s.Source.File, Line: s.Source.Line,
				Msg: fmt.Sprintf("secret %s lacks metadata environment %s requires: %s; declare it here", s.ID(), s.Env, strings.Join(names, ", "))})
		}
		if err := CheckMetadataFormats(s.Env, s.Path, s.Metadata); err != nil {
			ps = append(ps, plan.Problem{File: s.Source.File, Line: s.Source.Line, Msg: err.Error()})
		}
		if p, err := v.checkConforms(ctx, desired, s); err != nil {
			return nil, err
		} else if p != nil {
			ps = append(ps, *p)
		}
	}
	var gone []string
	for _, c := range changes {
		if c.Kind == plan.KindType && c.Action == plan.Delete {
			gone = append(gone, c.Name)
		}
	}
	if len(gone) == 0 {
		return ps, nil
	}
	declared := map[string]string{}
	for _, s := range desired.Secrets {
		declared[s.ID()] = s.Metadata[MetaType]
	}
	err := v.WalkSecrets(ctx, func(s SecretInfo) error {
		t := s.Metadata.CustomMetadata[MetaType]
		if d, ok := declared[s.Env+"/"+s.Path]; ok {
			t = d // its declaration replaces its metadata
		}
		if slices.Contains(gone, t) {
			ps = append(ps, plan.Problem{File: plan.TypesDir + "/", Msg: fmt.Sprintf(
				"--prune would delete type %q, which secret %s/%s still names; declare the type again, or change the secret's type first", t, s.Env, s.Path)})
		}
		return nil
	})
	return ps, err
}

// checkConforms checks that the current value of a declared secret, if it
// has one, conforms to its declared type, so that plan reports what apply
// would refuse. (Apply checks again under the secret's lock.)
func (v *Vault) checkConforms(ctx context.Context, desired *plan.State, s plan.Secret) (*plan.Problem, error) {
	name := s.Metadata[MetaType]
	env, err := v.Env(s.Env)
	if name == "" || err != nil {
		return nil, nil // untyped, or a new environment without values
	}
	var t *types.Type
	if d := desired.Type(name); d != nil {
		t, err = types.Compile(name, []byte(d.Schema))
	} else {
		t, err = v.Type(name)
	}
	if err != nil {
		return nil, nil // Validate reports an unknown or broken type
	}
	ver, err := env.kv.Get(ctx, s.Path, 0)
	if errors.Is(err, secrets.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := t.ValidateJSON(s.Env, s.Path, ver.Data); err != nil {
		return &plan.Problem{File: s.Source.File, Line: s.Source.Line, Msg: notConforming(name, err)}, nil
	}
	return nil, nil
}

// notConforming says that a value does not fit a type; err names fields
// and rules, never the value.
func notConforming(typ string, err error) string {
	return fmt.Sprintf("the current value does not conform to type %q: %v; write a conforming value first, or declare another type", typ, err)
}

// typeChange adds a type's change to the transaction.
func (tx *applyTx) typeChange(c plan.Change) error {
	if c.Action == plan.Delete {
		tx.ops = append(tx.ops, deleteTypeOp(c.Name))
		tx.install = append(tx.install, func() { delete(tx.u.types, c.Name) })
		return nil
	}
	src := []byte(tx.desired.Type(c.Name).Schema)
	t, err := compileType(c.Name, src)
	if err != nil {
		return err // Validate has compiled it already
	}
	op, err := typeOp(c.Name, src)
	if err != nil {
		return err
	}
	tx.ops = append(tx.ops, op)
	tx.types[c.Name] = t
	tx.install = append(tx.install, func() { tx.u.types[c.Name] = t })
	return nil
}

// checkValue returns the check that a declared secret's current value, if
// it has one, conforms to the type its declared metadata names (as the
// transaction will store it), as a metadata write checks it. A value that
// does not conform is a problem at the declaration; the message names
// fields and rules, never the value.
func (tx *applyTx) checkValue(env string) func(string, map[string]string, func() ([]byte, error)) error {
	return func(path string, custom map[string]string, current func() ([]byte, error)) error {
		name := custom[MetaType]
		if name == "" {
			return nil
		}
		t := tx.types[name]
		if t == nil {
			var err error
			if t, err = tx.v.Type(name); err != nil {
				return err
			}
		}
		data, err := current()
		if err != nil || data == nil {
			return err
		}
		if err := t.ValidateJSON(env, path, data); err != nil {
			src := plan.Source{}
			for _, s := range tx.desired.Secrets {
				if s.Env == env && s.Path == path {
					src = s.Source
				}
			}
			return &plan.Error{Problems: []plan.Problem{{File: src.File, Line: src.Line, Msg: notConforming(name, err)}}}
		}
		return nil
	}
}

// envRules adds an environment's required-metadata change, if it has one,
// to the transaction; a deleted environment's rules go with it.
func (tx *applyTx) envRules(c plan.Change) error {
	var r EnvRules
	switch {
	case c.Action == plan.Delete:
	case len(c.Fields) > 0:
		e := tx.desired.Env(c.Name)
		r.RequiredMetadata, r.Production = e.RequiredMetadata, e.Production
	default:
		return nil
	}
	op, err := envRulesOp(c.Name, r)
	if err != nil {
		return err
	}
	tx.ops = append(tx.ops, op)
	tx.install = append(tx.install, func() { tx.u.setEnvRules(c.Name, r) })
	return nil
}
