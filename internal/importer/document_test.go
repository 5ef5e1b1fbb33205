package importer

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseDocument(t *testing.T) {
	yamlDoc := `
payments:
  db: {user: app, password: "pw-1", port: 5432}
  stripe:
    secret_key: sk-1
shared:
  sentry: {dsn: "https://x@y/1", hosts: [a, b]}
`
	jsonDoc := `{"payments":{"db":{"user":"app","password":"pw-1","port":5432},"stripe":{"secret_key":"sk-1"}},"shared":{"sentry":{"dsn":"https://x@y/1","hosts":["a","b"]}}}`
	for name, body := range map[string]string{"yaml": yamlDoc, "json": jsonDoc} {
		t.Run(name, func(t *testing.T) {
			secrets, err := ParseDocument([]byte(body), "secrets."+name, "imported")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]any{}
			for _, s := range secrets {
				got[s.Path] = s.Data
			}
			if len(got) != 3 || got["imported/payments/db"]["password"] != "pw-1" ||
				got["imported/payments/stripe"]["secret_key"] != "sk-1" || got["imported/shared/sentry"] == nil {
				t.Fatalf("secrets: %v", got)
			}
			if port, _ := json.Marshal(got["imported/payments/db"]["port"]); string(port) != "5432" {
				t.Fatalf("port: %s", port)
			}
		})
	}
}

func TestParseDocumentErrors(t *testing.T) {
	const canary = "canary-value-77"
	for _, c := range []struct{ name, in, want string }{
		{"mixed", "a:\n  field: " + canary + "\n  folder: {x: 1}\n", "a mixes fields (field) and folders (folder)"},
		{"top-level fields without a path", "password: " + canary + "\n", "give the secret's path"},
		{"slash in key", "a/b: {x: " + canary + "}\n", `key "a/b" cannot be part`},
		{"bad yaml", "a: [" + canary + "\n", "not valid YAML: error at line"},
		{"bad json", `{"a": "` + canary + `",}`, "not valid JSON: syntax error at byte"},
		{"not a mapping", "- " + canary + "\n", "not a mapping"},
		{"empty", "{}", "no secrets"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDocument([]byte(c.in), "f", "")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), canary) {
				t.Fatalf("the error shows a value: %v", err)
			}
		})
	}
}

func TestAsOneSecret(t *testing.T) {
	s, err := AsOneSecret([]byte("db: {host: h}\ntoken: t\n"), "f", "app/config")
	if err != nil || s.Path != "app/config" || s.Data["token"] != "t" || s.Data["db"] == nil {
		t.Fatalf("%+v %v", s, err)
	}
}

func FuzzParseDocument(f *testing.F) {
	for _, s := range []string{"a: {b: 1}\n", `{"a":{"b":"c"}}`, "a:\n  b: [1, 2]\n", "x: 1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		secrets, err := ParseDocument([]byte(in), "f", "base")
		if err != nil {
			return
		}
		for _, s := range secrets {
			if !strings.HasPrefix(s.Path, "base") || len(s.Data) == 0 {
				t.Fatalf("secret %q with %d fields", s.Path, len(s.Data))
			}
		}
	})
}
