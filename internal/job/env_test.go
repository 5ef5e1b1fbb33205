package job

import (
	"slices"
	"testing"

	"github.com/wardhq/ward/internal/manifest"
)

func TestChildEnv(t *testing.T) {
	parent := []string{"PATH=/bin", "WARD_TOKEN=tok", "WARD_ADDR=http://x", "WARD_CONFIG_DIR=/h", "VAULT_TOKEN=v", "VAULT_ADDR=a",
		"DB_PASSWORD=old", "WARD_MISSING=stale", "WARD_SECRETS_DIR=/stale", "HOME=/root"}
	tests := []struct {
		name string
		res  manifest.Resolution
		dir  string
		want []string
	}{
		{"nothing", manifest.Resolution{}, "", []string{"PATH=/bin", "DB_PASSWORD=old", "HOME=/root", "WARD_MISSING="}},
		{"secrets replace the parent's", manifest.Resolution{
			Env:     []manifest.EnvValue{{Name: "DB_PASSWORD", Value: []byte("pw")}, {Name: "WARD_TOKEN", Value: []byte("never")}},
			Missing: []string{"SENTRY_DSN", "tls/ca.pem"},
		}, "/dev/shm/ward-run-1-ab", []string{"PATH=/bin", "HOME=/root", "DB_PASSWORD=pw",
			"WARD_SECRETS_DIR=/dev/shm/ward-run-1-ab", "WARD_MISSING=SENTRY_DSN,tls/ca.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChildEnv(parent, &tt.res, tt.dir)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ChildEnv =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
