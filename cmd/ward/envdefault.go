package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/wardhq/ward/internal/lazyre"
)

// The default environment spares --env on every command: WARD_ENV, else
// the one 'ward env use' chose for the working directory (or the nearest
// directory above it), else the one it chose for the user. The choices are
// kept in the user's config directory (~/.ward/defaults.json), not in the
// repository: which environment a person works on is theirs to choose.

// envDefaults is defaults.json.
type envDefaults struct {
	User string            `json:"user,omitempty"`
	Dirs map[string]string `json:"dirs,omitempty"` // absolute directory → environment
}

// envNameRE is what the server accepts as an environment's name.
var envNameRE = lazyre.New(`^[a-z0-9][a-z0-9-]{0,31}$`)

// configDir is $WARD_CONFIG_DIR, else ~/.ward; "" when neither is known.
func (g *globals) configDir() string {
	if d := g.getenv("WARD_CONFIG_DIR"); d != "" {
		return d
	}
	if home := g.getenv("HOME"); home != "" {
		return filepath.Join(home, ".ward")
	}
	return ""
}

func (g *globals) defaultsFile() string {
	if d := g.configDir(); d != "" {
		return filepath.Join(d, "defaults.json")
	}
	return ""
}

// maxDefaultsBytes bounds defaults.json.
const maxDefaultsBytes = 1 << 20

func (g *globals) loadEnvDefaults() (*envDefaults, error) {
	d := &envDefaults{}
	path := g.defaultsFile()
	if path == "" {
		return d, nil
	}
	b, err := readInput(nil, path, maxDefaultsBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, withHint(fmt.Errorf("%s is not the JSON ward writes: %v", path, err), "remove it and choose again with 'ward env use ENV'")
	}
	return d, nil
}

func (g *globals) saveEnvDefaults(d *envDefaults) error {
	path := g.defaultsFile()
	if path == "" {
		return errors.New("cannot find a home directory for ~/.ward; set WARD_CONFIG_DIR")
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return writePrivateFile(path, append(b, '\n'))
}

// defaultEnv returns the default environment and where it comes from; ""
// when there is none.
func (g *globals) defaultEnv() (env, source string, err error) {
	if e := g.getenv("WARD_ENV"); e != "" {
		return e, "WARD_ENV", nil
	}
	d, err := g.loadEnvDefaults()
	if err != nil {
		return "", "", err
	}
	if g.wd != "" {
		for dir := filepath.Clean(g.wd); ; dir = filepath.Dir(dir) {
			if e := d.Dirs[dir]; e != "" {
				return e, "'ward env use' in " + dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if d.User != "" {
		return d.User, "'ward env use --user'", nil
	}
	return "", "", nil
}

// requireEnv fills *env, when --env was not given, with the default
// environment, and fails with what to do when there is none.
func (g *globals) requireEnv(env *string) error {
	if *env != "" {
		return nil
	}
	e, _, err := g.defaultEnv()
	if err != nil {
		return err
	}
	if e == "" {
		return withHint(usagef("missing --env"), "name the environment, e.g. --env staging, or choose one for this directory with 'ward env use staging'; 'ward env list' shows them")
	}
	*env = e
	return nil
}

// absDir makes dir absolute against the working directory.
func (g *globals) absDir(dir string) string {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(g.wd, dir)
	}
	return filepath.Clean(dir)
}
