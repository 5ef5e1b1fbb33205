package manifest

import (
	"errors"
	"strings"
	"testing"
)

// head starts a manifest whose one component is api, with its env: at line 5.
const head = "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n"

// TestParseMistakes checks each kind of mistake: the problems found, in
// order, each as LINE:COL: and a part of its message.
func TestParseMistakes(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", []string{"1:1: the manifest is empty"}},
		{"comment only", "# nothing\n", []string{"1:1: the manifest is empty"}},
		{"syntax", "version: 1\ncomponents:\n  api: [\n", []string{"4:1: YAML syntax: did not find expected node content"}},
		{"tabs", "version: 1\n\tcomponents: {}\n", []string{"2:1: YAML syntax:"}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{"2:1: a manifest is one YAML document"}},
		{"not a mapping", "- a\n- b\n", []string{"1:1: the manifest must be a mapping"}},
		{"missing version", "components:\n  api:\n    language: go\n    env: {A: {from: x}}\n", []string{"1:1: missing version"}},
		{"version 2", "version: 2\ncomponents: {api: {language: go, env: {A: {from: x}}}}\n", []string{"1:10: version must be 1"}},
		{"version string", "version: \"1\"\ncomponents: {api: {language: go, env: {A: {from: x}}}}\n", []string{"1:10: version must be 1"}},
		{"missing components", "version: 1\n", []string{"1:1: missing components"}},
		{"empty components", "version: 1\ncomponents: {}\n", []string{"2:13: components is empty"}},
		{"components list", "version: 1\ncomponents:\n  - api\n", []string{"3:3: components must be a mapping"}},
		{"unknown top field", "version: 1\ncomponent: {}\n", []string{`1:1: missing components`, `2:1: unknown field "component" in the manifest; did you mean "components"?`}},
		{"duplicate top key", "version: 1\nversion: 1\ncomponents: {api: {language: go, env: {A: {from: x}}}}\n", []string{`2:1: duplicate key "version" in the manifest (first at line 1)`}},
		{"bad component name", "version: 1\ncomponents:\n  API:\n    language: go\n    env: {A: {from: x}}\n", []string{`3:3: component name "API" must start with a lowercase letter`}},
		{"component name dash first", "version: 1\ncomponents:\n  -api: {language: go, env: {A: {from: x}}}\n", []string{`3:3: component name "-api" must start`}},
		{"missing language", "version: 1\ncomponents:\n  api:\n    env: {A: {from: x}}\n", []string{"3:3: component api: missing language"}},
		{"bad language", "version: 1\ncomponents:\n  api:\n    language: golang\n    env: {A: {from: x}}\n", []string{`4:15: language "golang" is not go, rust or other`}},
		{"language typo", "version: 1\ncomponents:\n  api:\n    language: rsut\n    env: {A: {from: x}}\n", []string{`4:15: language "rsut" is not go, rust or other; did you mean "rust"?`}},
		{"no secrets", "version: 1\ncomponents:\n  api:\n    language: go\n", []string{"3:3: component api declares no secrets"}},
		{"env var at component level", "version: 1\ncomponents:\n  api:\n    language: go\n    env: {A: {from: x}}\n    DATABASE_URL: {from: x}\n", []string{`6:5: unknown field "DATABASE_URL" in component api; env vars go under env:`}},
		{"file at component level", "version: 1\ncomponents:\n  api:\n    language: go\n    env: {A: {from: x}}\n    tls/a.pem: {from: x}\n", []string{`6:5: unknown field "tls/a.pem" in component api; files go under files:`}},
		{"unknown entry field", head + "      A: {from: x, feild: y}\n", []string{`6:20: unknown field "feild" in env var A; did you mean "field"?`}},
		{"mode on env var", head + "      A: {from: x, mode: \"0600\"}\n", []string{`6:20: unknown field "mode" in env var A (known: from, field, type, optional)`}},
		{"missing from", head + "      A: {field: y}\n", []string{"6:7: env var A: missing from"}},
		{"scalar entry hides value", head + "      A: hunter2-secret\n", []string{"6:10: env var A must be a mapping like {from: payments/db, field: password}"}},
		{"duplicate env var", head + "      A: {from: x}\n      A: {from: y}\n", []string{`7:7: duplicate key "A" in component api env (first at line 6)`}},
		{"lowercase env var", head + "      db_url: {from: x}\n", []string{`6:7: env var name "db_url" must start with A-Z or _`}},
		{"env var with dash", head + "      DB-URL: {from: x}\n", []string{`6:7: env var name "DB-URL" may hold only A-Z, 0-9 and _`}},
		{"env var digit first", head + "      1A: {from: x}\n", []string{`6:7: env var name "1A" must start`}},
		{"ward env var", head + "      WARD_TOKEN: {from: x}\n", []string{"6:7: env var WARD_TOKEN is reserved"}},
		{"PATH", head + "      PATH: {from: x}\n", []string{"6:7: env var PATH is refused"}},
		{"LD_PRELOAD", head + "      LD_PRELOAD: {from: x}\n", []string{"6:7: env var LD_PRELOAD is refused: LD_* variables control the dynamic loader"}},
		{"DYLD", head + "      DYLD_INSERT_LIBRARIES: {from: x}\n", []string{"6:7: env var DYLD_INSERT_LIBRARIES is refused"}},
		{"GODEBUG", head + "      GODEBUG: {from: x}\n", []string{"6:7: env var GODEBUG is refused"}},
		{"from absolute", head + "      A: {from: /payments/db}\n", []string{`6:17: env var A: secret path "/payments/db" must not start or end with '/'; write "payments/db"`}},
		{"from dotdot", head + "      A: {from: payments/../admin}\n", []string{`6:17: env var A: secret path "payments/../admin" has an empty, '.' or '..' segment`}},
		{"from double slash", head + "      A: {from: payments//db}\n", []string{"6:17: env var A: secret path \"payments//db\" has an empty"}},
		{"from space", head + "      A: {from: \"pay ments\"}\n", []string{`6:17: env var A: secret path "pay ments" may hold only`}},
		{"from empty", head + "      A: {from: \"\"}\n", []string{"6:17: env var A: from is empty"}},
		{"from null", head + "      A: {from: null}\n", []string{"6:17: env var A: from must be a single value"}},
		{"from list", head + "      A: {from: [a, b]}\n", []string{"6:17: env var A: from must be a single value"}},
		{"field empty", head + "      A: {from: x, field: \"\"}\n", []string{"6:27: env var A: field is empty"}},
		{"types differ", head + "      A: {from: x, type: postgres}\n      B: {from: x, field: f, type: api-token}\n", []string{`7:1: env var B names type api-token for x, but env var A (line 6) names type postgres; a secret has one type`}},
		{"type bad", head + "      A: {from: x, type: \"a b\"}\n", []string{`6:26: env var A: type "a b" may hold only`}},
		{"optional yes", head + "      A: {from: x, optional: yes}\n", []string{"6:30: env var A: optional must be true or false"}},
		{"optional string", head + "      A: {from: x, optional: \"true\"}\n", []string{"6:30: env var A: optional must be true or false"}},
		{"file absolute", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      /etc/x.pem: {from: x}\n", []string{`6:7: file path "/etc/x.pem" must be relative`}},
		{"file dotdot", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      ../x.pem: {from: x}\n", []string{`6:7: file path "../x.pem" must not hold ".."`}},
		{"file unclean", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      tls//x.pem: {from: x}\n", []string{`6:7: file path "tls//x.pem" is not clean; write "tls/x.pem"`}},
		{"file dot segment", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      ./x.pem: {from: x}\n", []string{`6:7: file path "./x.pem" is not clean; write "x.pem"`}},
		{"file trailing slash", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      tls/: {from: x}\n", []string{`6:7: file path "tls/" is not clean; write "tls"`}},
		{"file space", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      \"a b.pem\": {from: x}\n", []string{`6:7: file path "a b.pem" may hold only`}},
		{"file inside file", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      tls: {from: x}\n      tls/a.pem: {from: x}\n", []string{`7:1: file "tls/a.pem" would be inside file "tls" (line 6)`}},
		{"file case", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x}\n      A.pem: {from: x}\n", []string{`7:1: file "A.pem" differs from file "a.pem" (line 6) only in case`}},
		{"mode world readable", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x, mode: \"0644\"}\n", []string{`6:30: file a.pem: mode 0644 gives other users access`}},
		{"mode group writable", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x, mode: \"0660\"}\n", []string{`6:30: file a.pem: mode 0660 lets the group write`}},
		{"mode unreadable", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x, mode: \"0200\"}\n", []string{`6:30: file a.pem: mode 0200 does not let the owner read`}},
		{"mode decimal", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x, mode: 600}\n", []string{`6:30: file a.pem: mode must be four octal digits`}},
		{"mode 0o", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x, mode: 0o600}\n", []string{`6:30: file a.pem: mode must be four octal digits`}},
		{"mode setuid", "version: 1\ncomponents:\n  api:\n    language: go\n    files:\n      a.pem: {from: x, mode: \"4600\"}\n", []string{`6:30: file a.pem: mode must be four octal digits`}},
		{"anchor and alias", "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      A: &db {from: x}\n      B: *db\n", []string{"6:10: YAML anchors (&name) are not allowed", "7:10: YAML aliases (*name) are not allowed", "7:10: env var B must be a mapping"}},
		{"merge key", "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      A: {<<: {from: x}}\n", []string{"6:7: env var A: missing from", "6:11: YAML merge keys (<<) are not allowed"}},
		{"tag", "version: !!int 1\ncomponents: {api: {language: go, env: {A: {from: x}}}}\n", []string{"1:10: YAML tags (!tag) are not allowed"}},
		{"null key", "version: 1\ncomponents:\n  api:\n    language: go\n    env:\n      ~: {from: x}\n", []string{"6:7: a key in component api env must be a plain name"}},
		{"long key is cut", head + "      " + strings.Repeat("X", 60) + ": {from: x}\n", nil},
		{"several, sorted by line", head + "      a: {from: x}\n      B: {from: /x}\n      C: {from: x, optinal: true}\n", []string{`6:7: env var name "a"`, "7:17: env var B: secret path", `8:20: unknown field "optinal" in env var C; did you mean "optional"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("ward.yaml", []byte(tt.src))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("got %v, %v; want an *Error", m, err)
			}
			if m != nil {
				t.Errorf("a manifest came back with an error")
			}
			got := make([]string, len(me.Problems))
			for i, p := range me.Problems {
				got[i] = me.Format(p)
			}
			if len(got) < len(tt.want) {
				t.Fatalf("problems:\n%s\nwant at least:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], "ward.yaml:"+w) {
					t.Errorf("problem %d:\n got %s\nwant ward.yaml:%s…", i, got[i], w)
				}
			}
			for i := 1; i < len(me.Problems); i++ {
				if me.Problems[i].Line < me.Problems[i-1].Line {
					t.Errorf("problems not sorted by line: %v", me.Problems)
				}
			}
		})
	}
}

// A value pasted where a mapping belongs is never quoted back.
func TestParseNeverQuotesValues(t *testing.T) {
	for _, src := range []string{
		head + "      A: sk_live_pasted_value\n",
		head + "      A: {from: x, optional: sk_live_pasted_value}\n",
		"version: sk_live_pasted_value\ncomponents: {}\n",
		head + "      A: {from: x}\n    files: sk_live_pasted_value\n",
		"version: 1\ncomponents:\n  api:\n    language: go\n    env: sk_live_pasted_value\n",
		"version: 1\ncomponents: sk_live_pasted_value\n",
	} {
		_, err := Parse("ward.yaml", []byte(src))
		if err == nil {
			t.Fatalf("accepted:\n%s", src)
		}
		if strings.Contains(err.Error(), "sk_live") {
			t.Errorf("the error quotes a value:\n%v", err)
		}
	}
}
