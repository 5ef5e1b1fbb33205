package scan

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed rules.yaml
var defaultRules []byte

// ErrBadRules is returned (wrapped in a *RuleError) when a rules file cannot
// be used.
var ErrBadRules = errors.New("bad rules")

// RuleError says which rule of which file is wrong and why.
type RuleError struct {
	File   string // "" for the embedded rules
	RuleID string // "" when the file as a whole is wrong
	Reason string
}

func (e *RuleError) Error() string {
	where := e.File
	if where == "" {
		where = "embedded rules"
	}
	if e.RuleID != "" {
		where += ": rule " + e.RuleID
	}
	return where + ": " + e.Reason
}

func (e *RuleError) Unwrap() error { return ErrBadRules }

// Rule is one detection rule, as written in a rules file.
type Rule struct {
	ID             string   `yaml:"id"`
	Description    string   `yaml:"description"`
	Remediation    string   `yaml:"remediation"`
	Keywords       []string `yaml:"keywords"`
	Regex          string   `yaml:"regex"`
	MaxLength      int      `yaml:"max_length"`
	Before         int      `yaml:"before"`
	Near           string   `yaml:"near"`
	NearWithin     int      `yaml:"near_within"`
	Entropy        float64  `yaml:"entropy"`
	Check          string   `yaml:"check"`
	Stopwords      []string `yaml:"stopwords"`
	Reject         []string `yaml:"reject"`
	Require        []string `yaml:"require"`
	MaxRun         int      `yaml:"max_run"`
	TruePositives  []string `yaml:"tp"`
	FalsePositives []string `yaml:"fp"`
	Disabled       bool     `yaml:"disabled"`

	index   int // position in its RuleSet: lower wins when two rules find the same span
	re      *regexp.Regexp
	secret  []int // indexes of the submatches named "secret"
	reject  []*regexp.Regexp
	require []*regexp.Regexp
	check   func([]byte) bool
}

type rulesFile struct {
	Version int    `yaml:"version"`
	Rules   []Rule `yaml:"rules"`
}

// RuleSet is a compiled, immutable set of rules with its keyword automaton.
// It is safe for concurrent use.
type RuleSet struct {
	rules  []*Rule
	kw     *automaton
	kwRule [][]int // keyword index -> rule indexes
	maxLen int
}

// Rules returns the rules of the set, in order. The caller must not modify
// them.
func (rs *RuleSet) Rules() []*Rule { return rs.rules }

// DefaultRules returns the embedded rule set.
func DefaultRules() (*RuleSet, error) { return LoadRules(nil) }

// LoadRules compiles the embedded rules, then the rules of each extra file
// in order: a rule whose id is already known replaces it (disabled: true
// removes it), a new id is added.
func LoadRules(extraFiles []string) (*RuleSet, error) {
	rules, err := parseRules("", defaultRules)
	if err != nil {
		return nil, err
	}
	for _, f := range extraFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		more, err := parseRules(f, data)
		if err != nil {
			return nil, err
		}
		rules = mergeRules(rules, more)
	}
	return compileRuleSet(rules)
}

// ParseRuleSet compiles a rule set from the bytes of one rules file alone.
func ParseRuleSet(name string, data []byte) (*RuleSet, error) {
	rules, err := parseRules(name, data)
	if err != nil {
		return nil, err
	}
	return compileRuleSet(rules)
}

func parseRules(name string, data []byte) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var rf rulesFile
	if err := dec.Decode(&rf); err != nil {
		return nil, &RuleError{File: name, Reason: err.Error()}
	}
	if rf.Version != 1 {
		return nil, &RuleError{File: name, Reason: fmt.Sprintf("version %d is not supported (want 1)", rf.Version)}
	}
	out := make([]*Rule, 0, len(rf.Rules))
	seen := map[string]bool{}
	for i := range rf.Rules {
		r := &rf.Rules[i]
		if r.ID == "" {
			return nil, &RuleError{File: name, Reason: fmt.Sprintf("rule #%d has no id", i+1)}
		}
		if seen[r.ID] {
			return nil, &RuleError{File: name, RuleID: r.ID, Reason: "id used twice"}
		}
		seen[r.ID] = true
		if err := r.compile(); err != nil {
			return nil, &RuleError{File: name, RuleID: r.ID, Reason: err.Error()}
		}
		out = append(out, r)
	}
	return out, nil
}

func mergeRules(base, more []*Rule) []*Rule {
	idx := map[string]int{}
	for i, r := range base {
		idx[r.ID] = i
	}
	for _, r := range more {
		if i, ok := idx[r.ID]; ok {
			base[i] = r
			continue
		}
		idx[r.ID] = len(base)
		base = append(base, r)
	}
	return base
}

func (r *Rule) compile() error {
	if r.Disabled {
		return nil
	}
	if len(r.Keywords) == 0 {
		return errors.New("no keywords: every rule needs at least one")
	}
	for i, k := range r.Keywords {
		if k == "" {
			return errors.New("empty keyword")
		}
		r.Keywords[i] = strings.ToLower(k)
	}
	if r.MaxLength <= 0 {
		r.MaxLength = 256
	}
	if r.Near != "" && r.NearWithin <= 0 {
		r.NearWithin = r.MaxLength
	}
	if r.MaxLength > Overlap {
		return fmt.Errorf("max_length %d is over the limit %d", r.MaxLength, Overlap)
	}
	if r.Before < 0 || r.Before > 256 {
		return fmt.Errorf("before %d is out of range: 0 to 256", r.Before)
	}
	re, err := regexp.Compile(`^(?:` + r.Regex + `)`)
	if err != nil {
		return fmt.Errorf("regex: %v", err)
	}
	r.re = re
	for i, n := range re.SubexpNames() {
		if n == "secret" {
			r.secret = append(r.secret, i)
		}
	}
	for _, s := range r.Reject {
		x, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("reject %q: %v", s, err)
		}
		r.reject = append(r.reject, x)
	}
	for _, s := range r.Require {
		x, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("require %q: %v", s, err)
		}
		r.require = append(r.require, x)
	}
	for i, s := range r.Stopwords {
		r.Stopwords[i] = strings.ToLower(s)
	}
	switch r.Check {
	case "":
	case "github-crc32":
		r.check = githubChecksumOK
	case "ward-crc32":
		r.check = wardChecksumOK
	default:
		return fmt.Errorf("unknown check %q (want github-crc32 or ward-crc32)", r.Check)
	}
	return nil
}

func compileRuleSet(rules []*Rule) (*RuleSet, error) {
	rs := &RuleSet{}
	kwIndex := map[string]int{}
	var kws []string
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		ri := len(rs.rules)
		r.index = ri
		rs.rules = append(rs.rules, r)
		rs.maxLen = max(rs.maxLen, r.MaxLength)
		for _, k := range r.Keywords {
			ki, ok := kwIndex[k]
			if !ok {
				ki = len(kws)
				kwIndex[k] = ki
				kws = append(kws, k)
				rs.kwRule = append(rs.kwRule, nil)
			}
			rs.kwRule[ki] = append(rs.kwRule[ki], ri)
		}
	}
	if len(rs.rules) == 0 {
		return nil, &RuleError{Reason: "no rules left"}
	}
	total := 1
	for _, k := range kws {
		total += len(k)
	}
	if total >= maxStates {
		return nil, &RuleError{Reason: fmt.Sprintf("keywords too long in total (%d bytes, limit %d)", total, maxStates-1)}
	}
	rs.kw = newAutomaton(kws)
	return rs, nil
}

// accept applies a rule's filters to a candidate secret.
func (r *Rule) accept(secret []byte) bool {
	if r.check != nil && !r.check(secret) {
		return false
	}
	if r.Entropy > 0 && entropy(secret) < r.Entropy {
		return false
	}
	if r.MaxRun > 0 && longestRun(secret) > r.MaxRun {
		return false
	}
	if len(r.Stopwords) > 0 {
		low := bytes.ToLower(secret)
		for _, w := range r.Stopwords {
			if bytes.Contains(low, []byte(w)) {
				return false
			}
		}
	}
	for _, x := range r.reject {
		if x.Match(secret) {
			return false
		}
	}
	for _, x := range r.require {
		if !x.Match(secret) {
			return false
		}
	}
	return true
}
