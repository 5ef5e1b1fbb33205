package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/codegen"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/synth"
	"github.com/wardhq/ward/internal/vault"
)

// devSeedDefault is the ward/ directory a new dev server applies when
// --seed is not given: the repository's example, when ward dev runs from a
// checkout of it.
var devSeedDefault = filepath.Join("examples", "ward")

// devSeedValuesEnv is the one environment whose declared secrets get
// synthetic values. The others keep the directory's metadata only: their
// values are the user's to write (the README's quick start writes
// staging's payments/db as versions 1 and 2), and production's are never
// made up.
const devSeedValuesEnv = "dev"

// devSeedResult is what seeding a new dev store did.
type devSeedResult struct {
	Dir     string
	Changes int      // applied from the directory
	Written []string // ENV/PATH given a synthetic value
}

// devSeedDir is the directory to seed from: flag as given, or the
// example when the flag was left alone and the example is here; "" for
// none.
func devSeedDir(flag string, changed bool) (string, error) {
	if !changed {
		if _, err := os.Stat(filepath.Join(flag, "environments.yaml")); err != nil {
			return "", nil
		}
		return flag, nil
	}
	if flag == "" {
		return "", nil
	}
	if fi, err := os.Stat(flag); err != nil || !fi.IsDir() {
		return "", withHint(usagef("--seed %s: not a directory", flag), "give a ward/ directory (environments.yaml, policies/, types/, secrets/), or --seed '' to start empty")
	}
	return flag, nil
}

// devSeed applies the ward/ directory dir to a new dev store, as 'ward
// apply' would, and writes a synthetic value (see 'ward synth') of its
// type to every secret the directory declares in devSeedValuesEnv, marked
// synthetic=true, as 'ward env seed' does. The seeding is one audit
// entry.
func devSeed(ctx context.Context, v *vault.Vault, dir string) (*devSeedResult, error) {
	st, err := plan.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("--seed: %w", loadError(dir, err))
	}
	changes, err := v.Apply(ctx, st, vault.ApplyOptions{})
	if err != nil {
		return nil, withHint(fmt.Errorf("--seed %s: applying it: %w", dir, err), "fix the directory (ward plan -f "+dir+" against another server shows the problem), or --seed '' to start empty")
	}
	res := &devSeedResult{Dir: dir, Changes: len(changes)}
	gen := synth.New(synth.Config{})
	src := typeSource(dir)
	for _, s := range st.Secrets {
		if s.Env != devSeedValuesEnv {
			continue
		}
		if err := seedSecret(ctx, v, gen, src, s); err != nil {
			return nil, fmt.Errorf("--seed %s: %s: %w", dir, s.ID(), err)
		}
		res.Written = append(res.Written, s.ID())
	}
	err = v.WriteAudit(ctx, &audit.Entry{Type: "event", Operation: "dev-seed", Path: "sys/ward/apply",
		Meta: map[string]string{"dir": filepath.ToSlash(dir), "changes": fmt.Sprint(res.Changes), "synthetic": strings.Join(res.Written, ",")}})
	return res, err
}

// seedSecret writes one synthetic value of s's type (random strings in a
// "value" field when it has none) and marks it synthetic.
func seedSecret(ctx context.Context, v *vault.Vault, gen *synth.Generator, src codegen.TypeSource, s plan.Secret) error {
	env, err := v.Env(s.Env)
	if err != nil {
		return err
	}
	var val map[string]any
	if t := s.Metadata[vault.MetaType]; t != "" {
		if val, err = gen.Value(t, src); err != nil {
			return err
		}
	} else {
		val = gen.Fields(nil)
	}
	data, err := json.Marshal(val)
	if err != nil {
		return err
	}
	if _, err := env.PutSecret(ctx, s.Path, data, nil); err != nil {
		return err
	}
	custom := maps.Clone(s.Metadata)
	if custom == nil {
		custom = map[string]string{}
	}
	custom[synth.MetadataKey] = "true"
	return env.SetSecretMetadata(ctx, s.Path, secrets.MetadataUpdate{CustomMetadata: custom})
}
