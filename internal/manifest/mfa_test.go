package manifest

import (
	"strings"
	"testing"
	"time"
)

// A secret denied for want of a TOTP code is its own issue, which says so,
// not a policy denial.
func TestResolveMFARequired(t *testing.T) {
	c := mustComponent(t, "version: 1\ncomponents:\n  ops:\n    language: other\n    env:\n      GLASS: {from: ops/glass, field: key}\n      OTHER: {from: ops/other, field: key}\n", "ops")
	r := c.Resolve(map[string]Fetched{
		"ops/glass": {Status: StatusDenied, MFARequired: true, Error: "permission denied: reading a break-glass secret requires MFA (a shipped default)"},
		"ops/other": {Status: StatusDenied},
	}, time.Now())
	kinds := map[string]IssueKind{}
	for _, is := range r.Issues {
		kinds[is.Secret] = is.Kind
	}
	if kinds["ops/glass"] != IssueMFARequired || kinds["ops/other"] != IssueDenied {
		t.Fatalf("issues: %+v", r.Issues)
	}
	for _, is := range r.Issues {
		if is.Kind == IssueMFARequired && !strings.Contains(is.Problem(), "TOTP code") {
			t.Fatalf("problem: %s", is.Problem())
		}
	}
}
