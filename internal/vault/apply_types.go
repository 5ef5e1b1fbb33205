package vault

import (
	"errors"

	"github.com/wardhq/ward/internal/plan"
)

// The parts of Apply that deal with types and environments' required
// metadata.

// errTypesUnsupported refuses changes to types and required metadata
// until the vault stores them.
var errTypesUnsupported = errors.New("this server does not store types or required metadata yet")

// currentEnvRules returns environment name's required metadata.
func (v *Vault) currentEnvRules(name string) ([][]string, error) { return nil, nil }

// currentTypes returns the registered types.
func (v *Vault) currentTypes() ([]plan.Type, error) { return nil, nil }

// knownType reports the types a secret may name beside the desired
// state's own: the registered ones.
func (v *Vault) knownType(cur *plan.State) func(string) bool {
	return func(name string) bool { return cur.Type(name) != nil }
}

// typeChange adds a type's change to the transaction.
func (tx *applyTx) typeChange(c plan.Change) error {
	return errTypesUnsupported
}

// envRules adds an environment's required-metadata change, if it has one,
// to the transaction.
func (tx *applyTx) envRules(c plan.Change) error {
	if len(c.Fields) == 0 {
		return nil
	}
	return errTypesUnsupported
}
