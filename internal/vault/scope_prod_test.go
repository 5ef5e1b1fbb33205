package vault

import "testing"

// TestIsProd pins which names mark a production environment: the rule the
// apply-to-prod step-up, ward env seed and ward check's synthetic check share.
func TestIsProd(t *testing.T) {
	for env, want := range map[string]bool{"prod": true, "production": true, "prod-eu": true, "dev": false, "staging": false, "preprod": false, "products": false} {
		if IsProd(env) != want {
			t.Errorf("IsProd(%q) = %v", env, !want)
		}
	}
}
