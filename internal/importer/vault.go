package importer

import (
	"context"
	"fmt"
	"strings"
)

// MaxSecrets bounds one import from a Vault tree, so a wrong prefix or a
// hostile server cannot make the walk run without end.
const MaxSecrets = 100_000

// FromVault reads every secret under prefix in the KV v2 engine at mount of
// a HashiCorp Vault or OpenBao server: each secret's current version and its
// custom metadata. Paths are given relative to the mount. A secret whose
// current version is deleted or destroyed has nothing current to import and
// is left out; skipped lists those paths.
func FromVault(ctx context.Context, c *VaultClient, mount, prefix string) (secrets []Secret, skipped []string, err error) {
	mount = strings.Trim(mount, "/")
	if mount == "" {
		return nil, nil, fmt.Errorf("name the KV v2 mount to import from (for example secret)")
	}
	prefix = strings.Trim(prefix, "/")

	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("%s: deeper than 64 levels", dir)
		}
		var list struct {
			Keys any `json:"keys"`
		}
		found, err := c.get(ctx, join(mount, "metadata", dir), true, &list)
		if err != nil {
			return fmt.Errorf("list %s: %w", join(mount, "metadata", dir), err)
		}
		if !found {
			return nil
		}
		keys, _ := list.Keys.([]any)
		for _, k := range keys {
			name, ok := k.(string)
			if !ok || name == "" || strings.Contains(strings.TrimSuffix(name, "/"), "/") || name == "../" || name == "./" {
				return fmt.Errorf("list %s: the server returned a malformed key", join(mount, "metadata", dir))
			}
			p := join(dir, name)
			if strings.HasSuffix(name, "/") {
				if err := walk(strings.TrimSuffix(p, "/"), depth+1); err != nil {
					return err
				}
				continue
			}
			if len(secrets)+len(skipped) >= MaxSecrets {
				return fmt.Errorf("more than %d secrets under %s/%s: import a narrower prefix", MaxSecrets, mount, prefix)
			}
			sec, ok, err := readVaultSecret(ctx, c, mount, p)
			if err != nil {
				return err
			}
			if !ok {
				skipped = append(skipped, p)
				continue
			}
			secrets = append(secrets, sec)
		}
		return nil
	}
	if err := walk(prefix, 0); err != nil {
		return nil, nil, err
	}
	if prefix != "" && len(secrets) == 0 && len(skipped) == 0 {
		// The prefix may name one secret rather than a folder.
		sec, ok, err := readVaultSecret(ctx, c, mount, prefix)
		if err == nil && ok {
			secrets = append(secrets, sec)
		}
	}
	return secrets, skipped, nil
}

func readVaultSecret(ctx context.Context, c *VaultClient, mount, path string) (Secret, bool, error) {
	var data struct {
		Data any `json:"data"`
	}
	found, err := c.get(ctx, join(mount, "data", path), false, &data)
	if err != nil {
		return Secret{}, false, fmt.Errorf("read %s: %w", join(mount, "data", path), err)
	}
	fields, _ := data.Data.(map[string]any)
	if !found || fields == nil {
		return Secret{}, false, nil // deleted or destroyed: no current value
	}
	sec := Secret{Path: path, Data: fields}
	var meta struct {
		Custom any `json:"custom_metadata"`
	}
	if _, err := c.get(ctx, join(mount, "metadata", path), false, &meta); err != nil {
		return Secret{}, false, fmt.Errorf("read %s: %w", join(mount, "metadata", path), err)
	}
	if cm, _ := meta.Custom.(map[string]any); len(cm) > 0 {
		sec.Custom = make(map[string]string, len(cm))
		for k, v := range cm {
			s, ok := v.(string)
			if !ok {
				return Secret{}, false, fmt.Errorf("%s: custom metadata %q is not a string", path, k)
			}
			sec.Custom[k] = s
		}
	}
	return sec, true, nil
}

func join(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "/")
}
