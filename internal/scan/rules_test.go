package scan

import (
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wardhq/ward/internal/wardtoken"
)

func testEngine(t testing.TB, rs *RuleSet) *engine {
	t.Helper()
	if rs == nil {
		var err error
		if rs, err = DefaultRules(); err != nil {
			t.Fatal(err)
		}
	}
	return &engine{rules: rs, key: []byte("test key"), decodeDepth: 2}
}

func rulesFound(e *engine, text string) map[string]int {
	got := map[string]int{}
	e.scan([]byte(text), len(text), 0, func(m match) { got[m.rule.ID]++ })
	return got
}

// TestRuleSamples checks every rule's true- and false-positive samples.
func TestRuleSamples(t *testing.T) {
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	e := testEngine(t, rs)
	for _, r := range rs.Rules() {
		if len(r.TruePositives) == 0 || len(r.FalsePositives) == 0 {
			t.Errorf("rule %s: needs at least one tp and one fp sample", r.ID)
		}
		for i, s := range r.TruePositives {
			if rulesFound(e, s)[r.ID] == 0 {
				t.Errorf("rule %s: true-positive sample #%d not found", r.ID, i+1)
			}
		}
		for i, s := range r.FalsePositives {
			if rulesFound(e, s)[r.ID] != 0 {
				t.Errorf("rule %s: false-positive sample #%d found", r.ID, i+1)
			}
		}
	}
}

func TestRequiredRuleCoverage(t *testing.T) {
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range rs.Rules() {
		have[r.ID] = true
	}
	for _, id := range []string{"aws-access-key-id", "aws-secret-access-key", "github-pat", "github-fine-grained-pat",
		"github-app-token", "github-oauth-token", "gitlab-token", "slack-token", "slack-webhook", "stripe-key",
		"google-api-key", "google-service-account", "azure-storage-key", "private-key", "jwt",
		"connection-url-password", "npm-token", "pypi-token", "docker-registry-auth", "generic-secret",
		"ward-token", "ward-accessor"} {
		if !have[id] {
			t.Errorf("no rule %s", id)
		}
	}
}

func TestBadRules(t *testing.T) {
	for name, text := range map[string]string{
		"version":   "version: 2\nrules: []\n",
		"regex":     "version: 1\nrules:\n  - id: x\n    keywords: [a]\n    regex: '('\n",
		"keywords":  "version: 1\nrules:\n  - id: x\n    regex: 'a'\n",
		"duplicate": "version: 1\nrules:\n  - id: x\n    keywords: [a]\n    regex: a\n  - id: x\n    keywords: [a]\n    regex: a\n",
		"field":     "version: 1\nrules:\n  - id: x\n    keyword: [a]\n",
		"check":     "version: 1\nrules:\n  - id: x\n    keywords: [a]\n    regex: a\n    check: luhn\n",
	} {
		_, err := ParseRuleSet(name+".yaml", []byte(text))
		var re *RuleError
		if !errors.Is(err, ErrBadRules) || !errors.As(err, &re) {
			t.Errorf("%s: got %v, want a *RuleError", name, err)
		}
	}
}

// TestWardTokens checks the ward rules against tokens minted by
// internal/wardtoken, and that one changed character is refused.
func TestWardTokens(t *testing.T) {
	e := testEngine(t, nil)
	for _, mint := range []func(io.Reader) (string, error){wardtoken.New, wardtoken.NewAccessor} {
		tok, err := mint(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rule := map[bool]string{true: "ward-token", false: "ward-accessor"}[strings.HasPrefix(tok, "ward_")]
		if rulesFound(e, "X="+tok+"\n")[rule] != 1 {
			t.Errorf("%s: a minted token was not found", rule)
		}
		bad := []byte(tok)
		bad[10] = map[bool]byte{true: 'b', false: 'a'}[bad[10] == 'a']
		if rulesFound(e, "X="+string(bad)+"\n")[rule] != 0 {
			t.Errorf("%s: a token with a wrong checksum was reported", rule)
		}
	}
}
