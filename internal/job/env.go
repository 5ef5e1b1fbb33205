package job

import (
	"strings"

	"github.com/wardhq/ward/internal/manifest"
)

// Removed lists the variables ChildEnv never passes on: ward's own
// credentials and the server's address, and Vault's equivalents.
var Removed = []string{"WARD_TOKEN", "WARD_ADDR", "WARD_CONFIG_DIR", "VAULT_TOKEN", "VAULT_ADDR"}

// The variables ward run sets for the child besides the secrets.
const (
	EnvSecretsDir = "WARD_SECRETS_DIR"
	EnvMissing    = "WARD_MISSING"
)

// ChildEnv returns the child's environment: parent (NAME=VALUE entries, as
// os.Environ returns them) without the Removed variables, with res's env
// values set, WARD_SECRETS_DIR set to secretsDir when it is not "", and
// WARD_MISSING listing res.Missing. A variable set here replaces one of the
// same name in parent.
func ChildEnv(parent []string, res *manifest.Resolution, secretsDir string) []string {
	set := map[string]bool{EnvMissing: true, EnvSecretsDir: true}
	for _, n := range Removed {
		set[n] = true
	}
	for _, e := range res.Env {
		set[e.Name] = true
	}
	env := make([]string, 0, len(parent)+len(res.Env)+2)
	for _, kv := range parent {
		name, _, _ := strings.Cut(kv, "=")
		if !set[name] {
			env = append(env, kv)
		}
	}
	for _, e := range res.Env {
		if !isRemoved(e.Name) {
			env = append(env, e.Name+"="+string(e.Value))
		}
	}
	if secretsDir != "" {
		env = append(env, EnvSecretsDir+"="+secretsDir)
	}
	return append(env, EnvMissing+"="+strings.Join(res.Missing, ","))
}

func isRemoved(name string) bool {
	for _, n := range Removed {
		if n == name {
			return true
		}
	}
	return false
}
