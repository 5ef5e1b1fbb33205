package policy

import "testing"

func TestCapabilityBits(t *testing.T) {
	if CapAdmin.bit() != adminBit {
		t.Fatalf("adminBit = %b, CapAdmin's bit = %b", adminBit, CapAdmin.bit())
	}
	for _, c := range allCaps {
		if !grants(c.bit()).has(c.bit()) || !adminBit.has(c.bit()) {
			t.Errorf("%s not granted by itself or by admin", c)
		}
		if c != CapAdmin && grants(c.bit()).has(adminBit) {
			t.Errorf("%s grants admin", c)
		}
	}
	if grantAll.has(CapDeny.bit()) || grantAll.has(Capability("rotate").bit()) {
		t.Error("deny or an unknown capability is granted")
	}
}
