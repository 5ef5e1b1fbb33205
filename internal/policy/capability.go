package policy

import "sort"

// Capability is one thing a rule may grant on a path.
type Capability string

// The capabilities a rule may name.
const (
	CapRead     Capability = "read"
	CapList     Capability = "list"
	CapCreate   Capability = "create"
	CapUpdate   Capability = "update"
	CapPatch    Capability = "patch"
	CapDelete   Capability = "delete"
	CapUndelete Capability = "undelete"
	CapDestroy  Capability = "destroy"
	CapAdmin    Capability = "admin" // every capability on the path
	CapDeny     Capability = "deny"  // nothing on the path, whatever else allows it
)

// grants is a set of allow capabilities as bits, in the order of allCaps.
type grants uint16

// allCaps lists every capability in bit order; deny has no bit.
var allCaps = [...]Capability{CapRead, CapList, CapCreate, CapUpdate, CapPatch, CapDelete, CapUndelete, CapDestroy, CapAdmin}

const grantAll = grants(1)<<len(allCaps) - 1

// bit returns c's bit, or 0 for deny and unknown names.
func (c Capability) bit() grants {
	for i, k := range allCaps {
		if k == c {
			return 1 << i
		}
	}
	return 0
}

// known reports whether c is a capability a rule may name.
func (c Capability) known() bool { return c == CapDeny || c.bit() != 0 }

const adminBit = grants(1) << 8 // CapAdmin's place in allCaps

// has reports whether g grants the capability whose bit is b, directly or
// through admin.
func (g grants) has(b grants) bool {
	return b != 0 && (g&b != 0 || g&adminBit != 0)
}

// names returns the sorted names in g; admin brings every capability.
func (g grants) names() []string {
	if g&adminBit != 0 {
		g = grantAll
	}
	var out []string
	for i, k := range allCaps {
		if g&(1<<i) != 0 {
			out = append(out, string(k))
		}
	}
	sort.Strings(out)
	return out
}

// capabilityNames is every name a rule may use, for error messages.
func capabilityNames() []string {
	out := []string{string(CapDeny)}
	for _, c := range allCaps {
		out = append(out, string(c))
	}
	return out
}
