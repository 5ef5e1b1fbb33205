package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wardhq/ward/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// ErrBadPolicy is wrapped by every *ParseError.
var ErrBadPolicy = errors.New("invalid policy")

// MaxPolicySize bounds the YAML source Parse accepts, in bytes.
const MaxPolicySize = 256 << 10

// Policy is a parsed policy. Its fields must not be changed once the policy
// is handed to NewACL.
type Policy struct {
	Name        string
	Description string
	Rules       []Rule
	Raw         []byte // the YAML source, as written
}

// Rule grants (or, with CapDeny, refuses) capabilities on the paths its glob
// matches.
type Rule struct {
	Path         string       // the glob, as written: staging/payments/*
	Capabilities []Capability // deny alone, or allow capabilities
	MFA          bool         // "mfa: required"
	Line         int          // where the rule starts in the source
}

// ParseError is a problem in a policy's YAML, at a line and column of its
// source (both 1-based; 0 when the problem is with the document as a whole).
type ParseError struct {
	Line, Column int
	Msg          string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func (e *ParseError) Unwrap() error { return ErrBadPolicy }

// The fields of a policy and of a rule.
var (
	policyFields = []string{"description", "rules"}
	ruleFields   = []string{"path", "capabilities", "mfa"}
)

// Parse reads the YAML policy src and records it under name, which the
// caller checks with ValidName. Decoding is strict: unknown or repeated
// fields, aliases, values of the wrong type, unknown capabilities, bad path
// globs, a rule without path or capabilities, and a policy without rules are
// refused with a *ParseError that gives the line and says what to write.
func Parse(name string, src []byte) (*Policy, error) {
	if len(src) > MaxPolicySize {
		return nil, &ParseError{Msg: fmt.Sprintf("policy is larger than %d KiB; split it into several policies", MaxPolicySize>>10)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &ParseError{Msg: "empty policy; write rules: with at least one rule"}
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, &ParseError{Line: extra.Line, Column: extra.Column, Msg: "a policy is one YAML document; remove the second \"---\" and what follows, or store it as another policy"}
	}
	if len(doc.Content) == 0 {
		return nil, &ParseError{Msg: "empty policy; write rules: with at least one rule"}
	}
	p := &Policy{Name: name, Raw: bytes.Clone(src)}
	if err := p.decode(doc.Content[0]); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Policy) decode(n *yaml.Node) error {
	var rules *yaml.Node
	err := fields(n, "a policy", policyFields, func(key string, _, v *yaml.Node) error {
		var err error
		switch key {
		case "description":
			p.Description, err = str(v, "description", `"read the api's secrets in staging"`)
		case "rules":
			rules = v
		}
		return err
	})
	if err != nil {
		return err
	}
	if rules == nil {
		return errAt(n, "a policy needs rules:, a list of rules with a path and capabilities")
	}
	if rules.Kind != yaml.SequenceNode {
		return errAt(rules, "rules must be a list of rules, each starting with \"- path:\"")
	}
	if len(rules.Content) == 0 {
		return errAt(rules, "rules is empty; a policy needs at least one rule")
	}
	for _, rn := range rules.Content {
		r, err := decodeRule(rn)
		if err != nil {
			return err
		}
		p.Rules = append(p.Rules, r)
	}
	return nil
}

func decodeRule(n *yaml.Node) (Rule, error) {
	r := Rule{Line: n.Line}
	var pathNode, capsNode, mfaNode *yaml.Node
	err := fields(n, "a rule", ruleFields, func(key string, _, v *yaml.Node) error {
		switch key {
		case "path":
			pathNode = v
		case "capabilities":
			capsNode = v
		case "mfa":
			mfaNode = v
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if pathNode == nil {
		return r, errAt(n, "the rule has no path; add one like path: staging/payments/*")
	}
	if r.Path, err = str(pathNode, "path", "staging/payments/*"); err != nil {
		return r, err
	}
	if msg := rulePathProblem(r.Path); msg != "" {
		return r, errAt(pathNode, "path %s: %s", quoteShort(r.Path), msg)
	}
	if capsNode == nil {
		return r, errAt(n, "the rule has no capabilities; add them like capabilities: [read, list]")
	}
	if r.Capabilities, err = decodeCapabilities(capsNode); err != nil {
		return r, err
	}
	if mfaNode != nil {
		if v, _ := str(mfaNode, "", ""); v != "required" {
			return r, errAt(mfaNode, "mfa takes one value, required; leave the field out when the rule needs no MFA")
		}
		if r.Capabilities[0] == CapDeny {
			return r, errAt(mfaNode, "mfa has no meaning on a deny rule, which refuses everything; remove it")
		}
		r.MFA = true
	}
	return r, nil
}

func decodeCapabilities(n *yaml.Node) ([]Capability, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "capabilities must be a list, like [read, list]")
	}
	if len(n.Content) == 0 {
		return nil, errAt(n, "capabilities is empty; name at least one, like [read]")
	}
	var caps []Capability
	for _, c := range n.Content {
		if err := plain(c); err != nil {
			return nil, err
		}
		s, err := str(c, "a capability", "read")
		if err != nil {
			return nil, err
		}
		k := Capability(s)
		if !k.known() {
			msg := fmt.Sprintf("unknown capability %s", quoteShort(s))
			if sg := suggest.Closest(s, capabilityNames()); sg != "" {
				return nil, errAt(c, "%s; did you mean %q?", msg, sg)
			}
			return nil, errAt(c, "%s; use %s", msg, strings.Join(capabilityNames(), ", "))
		}
		for _, have := range caps {
			if have == k {
				return nil, errAt(c, "capability %q is listed twice", s)
			}
		}
		if k == CapDeny && len(n.Content) > 1 {
			return nil, errAt(c, "deny must stand alone: it refuses every capability on the path; put the others in another rule")
		}
		caps = append(caps, k)
	}
	return caps, nil
}

// rulePathProblem checks a rule's path glob and returns what is wrong with
// it, or "".
func rulePathProblem(path string) string {
	switch {
	case path == "":
		return "empty; write a path like staging/payments/*"
	case strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "v1/"):
		return "write the path after /v1/, like staging/payments/db"
	case path[0] == '/':
		return "remove the leading \"/\"; write staging/payments/db"
	case len(path) > MaxPathLen:
		return "longer than 2048 bytes"
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "" {
			if i == len(segs)-1 {
				continue // a trailing "/" names a directory
			}
			return fmt.Sprintf("segment %d: %s", i+1, reasonEmptySeg)
		}
		if r := segmentProblem(s, true); r != "" {
			return fmt.Sprintf("segment %d: %s", i+1, r)
		}
	}
	return ""
}
