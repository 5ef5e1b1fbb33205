package policy

import "testing"

func TestSuggest(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{"lsit", "list"},
		{"raed", "read"},
		{"Read", "read"},
		{"delte", "delete"},
		{"admn", "admin"},
		{"sudo", ""},
		{"x", ""},
		{"ttl", ""},
		{"rotate", ""},
	} {
		if got := suggest(tt.got, capabilityNames()); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
	if got := suggest("capabilties", ruleFields); got != "capabilities" {
		t.Errorf("suggest(capabilties) = %q", got)
	}
}
