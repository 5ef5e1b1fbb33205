package storage

import "fmt"

// CheckOps validates a transaction's ops against the Backend contract and
// returns copies that the caller may keep: each key checked with CheckKey,
// each kind OpPut or OpDelete, each put's value copied into a new non-nil
// slice. Drivers call it before applying anything, so a refused transaction
// changes nothing.
func CheckOps(ops []Op) ([]Op, error) {
	owned := make([]Op, len(ops))
	for i, op := range ops {
		if err := CheckKey(op.Key); err != nil {
			return nil, err
		}
		if op.Kind != OpPut && op.Kind != OpDelete {
			return nil, fmt.Errorf("%w: kind %d at index %d", ErrInvalidOp, op.Kind, i)
		}
		owned[i] = Op{Kind: op.Kind, Key: op.Key}
		if op.Kind == OpPut {
			owned[i].Value = append(make([]byte, 0, len(op.Value)), op.Value...)
		}
	}
	return owned, nil
}
