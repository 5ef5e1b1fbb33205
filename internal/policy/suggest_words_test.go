package policy

import (
	"testing"

	"github.com/wardhq/ward/internal/suggest"
)

// The policy language's own words, through the shared suggester.
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
		if got := suggest.Closest(tt.got, capabilityNames()); got != tt.want {
			t.Errorf("suggest.Closest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
	if got := suggest.Closest("capabilties", ruleFields); got != "capabilities" {
		t.Errorf("suggest.Closest(capabilties) = %q", got)
	}
}
