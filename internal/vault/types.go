package vault

import (
	"context"
	"errors"
	"fmt"
	"github.com/wardhq/ward/internal/rotate/generate"
	"slices"
	"strings"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/suggest"
	"github.com/wardhq/ward/internal/types"
)

// MetaType is the custom metadata key that names a secret's type.
const MetaType = "type"

// Errors of the type registry.
var (
	ErrTypeNotFound = errors.New("type not found")
	ErrTypeBuiltin  = errors.New("built-in type")
	ErrTypeInUse    = errors.New("type in use")
)

// TypeNotFoundError names an unknown type and the closest known one.
type TypeNotFoundError struct {
	Name    string
	Suggest string // "" when no known type is close
}

func (e *TypeNotFoundError) Error() string {
	msg := fmt.Sprintf("%v: %q", ErrTypeNotFound, e.Name)
	if e.Suggest != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggest)
	}
	return msg + "; hint: ward type list"
}

func (e *TypeNotFoundError) Unwrap() error { return ErrTypeNotFound }

// TypeInUseError refuses to delete a type that secrets still name.
type TypeInUseError struct {
	Name    string
	Secrets []string // ENV/PATH, sorted, at most maxListed
	More    int      // how many more were not listed
}

func (e *TypeInUseError) Error() string {
	msg := fmt.Sprintf("type %q is named by %s", e.Name, strings.Join(e.Secrets, ", "))
	if e.More > 0 {
		msg += fmt.Sprintf(" and %d more", e.More)
	}
	return msg + "; change their metadata \"type\" first (ward kv metadata put --env ENV PATH type=OTHER)"
}

func (e *TypeInUseError) Unwrap() error { return ErrTypeInUse }

const maxListed = 10

func typeKey(name string) string { return "sys/types/" + name }

func (v *Vault) loadTypes(ctx context.Context, u *unsealed) (err error) {
	u.types, err = loadAll(ctx, v.barrier, typeKey(""), "type", types.Compile)
	return err
}

// typeOp checks and compiles src as type name and returns the storage op
// that stores it. Built-in names are refused: a built-in cannot be
// replaced, only joined by a type of another name.
func typeOp(name string, src []byte) (storage.Op, error) {
	if _, err := compileType(name, src); err != nil {
		return storage.Op{}, err
	}
	return storage.Op{Kind: storage.OpPut, Key: typeKey(name), Value: src}, nil
}

func compileType(name string, src []byte) (*types.Type, error) {
	if types.IsBuiltin(name) {
		return nil, fmt.Errorf("%w: %q ships with ward and cannot be replaced; give your type another name, like %q", ErrTypeBuiltin, name, name+"-custom")
	}
	t, err := types.Compile(name, src)
	if err != nil {
		return nil, err
	}
	// A type whose generator cannot satisfy its schema is refused now,
	// not at its first rotation.
	if err := generate.New(generate.Config{}).CheckType(name, src); err != nil {
		return nil, err
	}
	return t, nil
}

// deleteTypeOp is the storage op that removes type name.
func deleteTypeOp(name string) storage.Op {
	return storage.Op{Kind: storage.OpDelete, Key: typeKey(name)}
}

// PutType compiles src and stores it as type name, replacing any before
// it. Secrets that no longer conform stay as they are until their next
// write; TypeConflicts lists them first.
func (v *Vault) PutType(ctx context.Context, name string, src []byte) (*types.Type, error) {
	t, err := compileType(name, src)
	if err != nil {
		return nil, err
	}
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := v.barrier.Put(ctx, &storage.Entry{Key: typeKey(name), Value: src}); err != nil {
		return nil, err
	}
	u.types[name] = t
	return t, nil
}

// Type returns type name: a stored one or a built-in. The error for an
// unknown name is a *TypeNotFoundError (wrapping ErrTypeNotFound) with a
// suggestion when a known name is close.
func (v *Vault) Type(name string) (*types.Type, error) {
	if t := types.Builtin(name); t != nil {
		return t, nil
	}
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	u.mu.RLock()
	t, ok := u.types[name]
	u.mu.RUnlock()
	if ok {
		return t, nil
	}
	all, err := v.Types()
	if err != nil {
		return nil, err
	}
	return nil, &TypeNotFoundError{Name: name, Suggest: suggest.Closest(name, all)}
}

// Types lists every type name, built-in and stored, sorted.
func (v *Vault) Types() ([]string, error) {
	u, err := v.state()
	if err != nil {
		return nil, err
	}
	out := types.BuiltinNames()
	u.mu.RLock()
	for n := range u.types {
		out = append(out, n)
	}
	u.mu.RUnlock()
	slices.Sort(out)
	return out, nil
}

// DeleteType removes a stored type. Built-ins cannot be deleted
// (ErrTypeBuiltin), nor can a type that a secret's metadata still names
// (*TypeInUseError), so that no secret is left naming a type that is gone.
func (v *Vault) DeleteType(ctx context.Context, name string) error {
	if types.IsBuiltin(name) {
		return fmt.Errorf("%w: %q ships with ward and cannot be deleted", ErrTypeBuiltin, name)
	}
	u, err := v.state()
	if err != nil {
		return err
	}
	u.mu.RLock()
	_, ok := u.types[name]
	u.mu.RUnlock()
	if !ok {
		return &TypeNotFoundError{Name: name}
	}
	var users []string
	err = v.WalkSecrets(ctx, func(s SecretInfo) error {
		if s.Metadata.CustomMetadata[MetaType] == name {
			users = append(users, s.Env+"/"+s.Path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(users) > 0 {
		slices.Sort(users)
		e := &TypeInUseError{Name: name, Secrets: users}
		if len(users) > maxListed {
			e.Secrets, e.More = users[:maxListed], len(users)-maxListed
		}
		return e
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := v.barrier.Delete(ctx, typeKey(name)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	delete(u.types, name)
	return nil
}

// Conflict is a secret that does not conform to a type. It carries the
// problems (fields and rules), never values.
type Conflict struct {
	Env, Path string
	Problems  []types.Problem
}

// WriteType lists the secrets that would not conform to src as type name
// (TypeConflicts) and, unless dryRun, stores it (PutType): a type may be
// written over secrets that break it, each is then refused at its next
// write until fixed.
func (v *Vault) WriteType(ctx context.Context, name string, src []byte, dryRun bool) ([]Conflict, error) {
	conflicts, err := v.TypeConflicts(ctx, name, src)
	if err != nil || dryRun {
		return conflicts, err
	}
	if _, err := v.PutType(ctx, name, src); err != nil {
		return nil, err
	}
	return conflicts, nil
}

// TypeConflicts compiles src as a new version of type name and lists every
// secret, in every environment, whose metadata names the type and whose
// current version would not conform. Nothing is stored.
func (v *Vault) TypeConflicts(ctx context.Context, name string, src []byte) ([]Conflict, error) {
	t, err := compileType(name, src)
	if err != nil {
		return nil, err
	}
	var out []Conflict
	err = v.WalkSecrets(ctx, func(s SecretInfo) error {
		if s.Metadata.CustomMetadata[MetaType] != name {
			return nil
		}
		ver, err := s.kv.Get(ctx, s.Path, 0)
		if err != nil || ver == nil || ver.Data == nil {
			return nil // no live current version: nothing to conform
		}
		if err := t.ValidateJSON(s.Env, s.Path, ver.Data); err != nil {
			var ve *types.ValidationError
			if errors.As(err, &ve) {
				out = append(out, Conflict{Env: s.Env, Path: s.Path, Problems: ve.Problems})
				return nil
			}
			return err
		}
		return nil
	})
	return out, err
}
