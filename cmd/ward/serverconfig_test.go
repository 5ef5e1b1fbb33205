package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configTestFlags is a flag set with a flag of each kind the config file
// must handle, a -file flag whose inline form carries a secret, a flag
// marked secret, and a command-line-only flag.
func configTestFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.String("name", "default", "")
	fs.Bool("sync", false, "")
	fs.Int("max", 5, "")
	fs.Float64("ratio", 0.5, "")
	fs.Duration("ttl", time.Minute, "")
	fs.StringSlice("origins", nil, "")
	fs.String("storage-dsn-file", "", "")
	fs.String("unseal-key", "", "")
	fs.SetAnnotation("unseal-key", annotSecret, []string{"true"})
	fs.String("config", "", "")
	cliOnly(fs, "config")
	return fs
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFileSets(t *testing.T) {
	fs := configTestFlags()
	if err := fs.Parse([]string{"--max", "9"}); err != nil {
		t.Fatal(err)
	}
	p := writeConfig(t, `# every kind of value
name: ward-1
sync: true
max: 7          # the command line's 9 wins
ratio: 2
ttl: 90s
origins: [a.example, "b,c.example"]
storage-dsn-file: /etc/ward/dsn
`)
	from, err := applyConfigFile(p, fs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "ward-1", "sync": "true", "max": "9", "ratio": "2", "ttl": "1m30s",
		"origins": `[a.example,"b,c.example"]`, "storage-dsn-file": "/etc/ward/dsn"}
	for k, v := range want {
		if got := fs.Lookup(k).Value.String(); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if s, _ := fs.GetStringSlice("origins"); len(s) != 2 || s[1] != "b,c.example" {
		t.Errorf("origins = %q: a list item is one value, never split at commas", s)
	}
	if from["max"] != "" || from["name"] != "config" {
		t.Errorf("sources %v: max came from the command line, name from the file", from)
	}
}

func TestConfigFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // each a line of the error
	}{
		{"unknown key", "nmae: x\n", []string{`:1:1: unknown key "nmae"; did you mean "name"?`}},
		{"unknown key far from any", "zzzzzzzzzz: x\n", []string{`:1:1: unknown key "zzzzzzzzzz" (keys: max, name, origins, ratio, storage-dsn-file, sync, ttl, unseal-key)`}},
		{"duplicate", "name: a\nmax: 1\nname: b\n", []string{`:3:1: "name" appears twice (first at line 1); keep one`}},
		{"int as text", "max: five\n", []string{`:1:6: "max" must be a whole number, like 5`}},
		{"bool as text", "sync: yes\n", []string{`:1:7: "sync" must be true or false`}},
		{"duration without unit", "ttl: 900\n", []string{`:1:6: "ttl" must be a duration with its unit, like 15m or 90s`}},
		{"bad duration", "ttl: 15 minutes\n", []string{`:1:6: "ttl" must be a duration with its unit`}},
		{"int too large", "max: 99999999999999999999\n", []string{`:1:6: "max" must be a whole number`}},
		{"number for text", "name: 8200\n", []string{`:1:7: "name" must be text; quote it`}},
		{"list for text", "name: [a, b]\n", []string{`:1:7: "name" must be a single value`}},
		{"text for list", "origins: a.example\n", []string{`:1:10: "origins" is a list`}},
		{"empty value", "name:\n", []string{`:1:6: no value; give one or remove the line`}},
		{"inline secret", "storage-dsn: postgres://ward@db/ward\n", []string{`:1:1: "storage-dsn" would put a secret in the config file; name a file that holds it with storage-dsn-file`}},
		{"secret flag", "unseal-key: abc\n", []string{`:1:1: "unseal-key" carries a secret`}},
		{"password in a URL", "name: postgres://ward:hunter2@db/ward\n", []string{`:1:7: the value of "name" looks like a secret`}},
		{"PEM", "name: |\n  -----BEGIN PRIVATE KEY-----\n  MC4CAQ\n", []string{`:1:7: the value of "name" looks like a secret`}},
		{"command line only", "config: other.yaml\n", []string{`:1:1: "config" is given on the command line only (--config)`}},
		{"alias", "name: &n x\nstorage-dsn-file: *n\n", []string{`:1:7: YAML anchors`, `:2:19: YAML aliases`}},
		{"tag", "name: !!str x\n", []string{`:1:7: YAML tags`}},
		{"not a mapping", "- name\n", []string{`:1:1: the config file must be a mapping`}},
		{"empty", "# nothing\n", []string{`:1:1: the config file is empty`}},
		{"two documents", "name: a\n---\nname: b\n", []string{`:2:1: a config file is one YAML document`}},
		{"syntax", "name: a\nmax: [1\n", []string{`:2:1: YAML syntax: did not find expected ',' or ']'`}},
		{"several at once", "max: x\nnmae: y\n", []string{`:1:6: "max"`, `:2:1: unknown key "nmae"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := configTestFlags()
			p := writeConfig(t, tc.text)
			_, err := applyConfigFile(p, fs)
			if err == nil {
				t.Fatalf("no error for %q", tc.text)
			}
			var ue *usageError
			var ce *configError
			if !errors.As(err, &ue) || !errors.As(err, &ce) || len(ce.Problems) != len(tc.want) {
				t.Fatalf("error %v (%T); want a usage error with %d problems", err, err, len(tc.want))
			}
			lines := strings.Split(err.Error(), "\nward: ")
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], p+w) {
					t.Errorf("problem %d:\n got %s\nwant %s%s…", i, lines[i], p, w)
				}
			}
			for _, secret := range []string{"hunter2", "BEGIN", "MC4CAQ"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error quotes a secret value: %v", err)
				}
			}
			fs.VisitAll(func(f *pflag.Flag) {
				if f.Value.String() != f.DefValue {
					t.Errorf("a refused file set %s to %q", f.Name, f.Value.String())
				}
			})
		})
	}
}

// serverFlags returns ward server's flag set as the config file sees it.
func serverFlags(t *testing.T) (*cobra.Command, *pflag.FlagSet) {
	t.Helper()
	cmd := newServerCmd(testGlobals(nil, &bytes.Buffer{}, &bytes.Buffer{}))
	return cmd, cmd.LocalFlags()
}

// sampleValue is a value of f's type, other than its default, written as
// YAML; samples holds those a generic one does not fit.
func sampleValue(f *pflag.Flag) string {
	samples := map[string]string{"log-level": "debug"}
	if v, ok := samples[f.Name]; ok {
		return v
	}
	switch f.Value.Type() {
	case "bool":
		return map[bool]string{true: "false", false: "true"}[f.DefValue == "true"]
	case "int", "int64", "uint", "uint64", "int32", "uint32":
		return "7"
	case "float64", "float32":
		return "0.25"
	case "duration":
		return "7m"
	case "stringSlice", "stringArray":
		return "[x-" + f.Name + "]"
	}
	return "x-" + f.Name
}

// Every flag of ward server is a key of its config file, found from the
// flag set itself: a flag added later is covered without a change here.
func TestServerConfigCoversEveryFlag(t *testing.T) {
	cmd, fs := serverFlags(t)
	var b strings.Builder
	keys := configKeys(fs)
	if len(keys) < 9 {
		t.Fatalf("only %d keys: the flag set was not read", len(keys))
	}
	for _, f := range keys {
		b.WriteString(f.Name + ": " + sampleValue(f) + "\n")
	}
	before := map[string]string{}
	for _, f := range keys {
		before[f.Name] = f.Value.String()
	}
	from, err := applyConfigFile(writeConfig(t, b.String()), fs)
	if err != nil {
		t.Fatalf("a file setting every flag: %v\n%s", err, b.String())
	}
	for _, f := range keys {
		if from[f.Name] != "config" || f.Value.String() == before[f.Name] {
			t.Errorf("key %s did not set --%s (still %q)", f.Name, f.Name, f.Value.String())
		}
	}
	cmd.InitDefaultHelpFlag()
	fs = cmd.LocalFlags()
	for _, name := range []string{"config", "check", "format", "help"} {
		if _, err := applyConfigFile(writeConfig(t, name+": x\n"), fs); err == nil || !strings.Contains(err.Error(), "command line only") {
			t.Errorf("%s in the file: %v, want refused as command line only", name, err)
		}
	}
}

// A flag on the command line wins over the file; --check reports where
// each setting came from.
func TestServerCheck(t *testing.T) {
	p := writeConfig(t, "data: /srv/ward\nlog-level: warn\nlogin-max-failures: 3\n")
	var out, errb bytes.Buffer
	code := runCLI([]string{"server", "--config", p, "--log-level", "debug", "--check", "--format", "json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res serverCheck
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]serverSetting{}
	for _, s := range res.Settings {
		got[s.Key] = s
	}
	for key, want := range map[string]serverSetting{
		"data":               {"data", "/srv/ward", "config"},
		"log-level":          {"log-level", "debug", "flag"},
		"login-max-failures": {"login-max-failures", "3", "config"},
		"listen":             {"listen", "127.0.0.1:8200", "default"},
	} {
		if got[key] != want {
			t.Errorf("%s: %+v, want %+v", key, got[key], want)
		}
	}
	if !res.OK || res.Config != p {
		t.Errorf("result %+v", res)
	}
	// --check refuses what the server would refuse.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", writeConfig(t, "listen: 127.0.0.1:1\n")}, "--data DIR"},
		{[]string{"--config", writeConfig(t, "data: /srv\nlog-level: loud\n")}, "--log-level must be"},
		{[]string{"--config", writeConfig(t, "data: /srv\ntls-cert: c.pem\n")}, "give both --tls-cert and --tls-key"},
		{[]string{"--config", writeConfig(t, "data: /srv\nlogin-max-failures: 0\n")}, "--login-max-failures must be at least 1"},
		{[]string{"--config", writeConfig(t, "data: /srv\nrate-limit: -1\n")}, "--rate-limit must be 0 (no limit) or more"},
		{[]string{"--config", writeConfig(t, "data: /srv\nrequest-quota: -5\n")}, "--request-quota must be 0 (no quota) or more"},
		{[]string{"--config", writeConfig(t, "data: /srv\nmax-connections: 0\n")}, "--max-connections must be at least 1"},
		{[]string{"--config", writeConfig(t, "data: /srv\nrate-limit: lots\n")}, "rate-limit"},
	} {
		out.Reset()
		errb.Reset()
		if code := runCLI(append([]string{"server", "--check"}, tc.args...), nil, &out, &errb); code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// FuzzServerConfig: any file gives settings or a config error, never a
// panic, and a refused file sets nothing.
func FuzzServerConfig(f *testing.F) {
	for _, seed := range []string{"data: /var/lib/ward\nlisten: 0.0.0.0:8200\n", "origins: [a, b]\nttl: 1m\n",
		"name: &a x\nmax: *a\n", "max: [1\n", "- x\n", "sync: true\nratio: 1e3\n", "? [a]\n: b\n", "name: !!binary aGk=\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fs := configTestFlags()
		_, err := applyConfig("server.yaml", src, fs)
		var ce *configError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error %v (%T), want a *configError", err, err)
		}
		if err != nil {
			fs.VisitAll(func(fl *pflag.Flag) {
				if fl.Value.String() != fl.DefValue {
					t.Fatalf("a refused file set %s", fl.Name)
				}
			})
		}
	})
}
