package policy

import (
	"fmt"
	"strings"
)

// ACL is the compiled union of a token's policies. It is immutable once
// built and safe for concurrent use.
type ACL struct {
	root   bool
	byHead map[string]*segRules // rules whose first segment is literal, by it
	wild   segRules             // rules whose first segment is a glob; never match sys or auth
	names  string               // the policies' names, for refusals
}

// segRules holds rules that agree on their first segment, split by a literal
// second segment so that Check looks only at rules that can match.
type segRules struct {
	bySecond map[string][]*compiledRule
	other    []*compiledRule // second segment is a glob, or there is none
}

// Decision is what ACL.Check decided and why, for error messages, audit
// entries and explaining access.
type Decision struct {
	Allowed bool
	MFA     bool   // allowed only with MFA: a matching rule that grants the capability requires it
	Policy  string // the policy whose rule decided: "root" for Root(), "" when no rule matched
	Rule    Rule   // the rule that decided; zero when no rule matched
	Reason  string // one line for humans: which rule allowed or denied, or that none granted
}

type compiledRule struct {
	glob
	grants  grants
	deny    bool
	mfa     bool
	order   int // position across all policies, for a stable choice of rule
	policy  string
	rule    Rule
	because string // the Decision's Reason when this rule decides
}

// NewACL compiles policies into one ACL. Nil policies are skipped; with no
// policies the ACL allows nothing.
func NewACL(policies ...*Policy) *ACL {
	a := &ACL{byHead: map[string]*segRules{}, wild: segRules{bySecond: map[string][]*compiledRule{}}}
	var names []string
	order := 0
	for _, p := range policies {
		if p == nil {
			continue
		}
		names = append(names, p.Name)
		for _, r := range p.Rules {
			c := &compiledRule{glob: compileGlob(r.Path), order: order, policy: p.Name, rule: r, mfa: r.MFA}
			order++
			for _, k := range r.Capabilities {
				if k == CapDeny {
					c.deny = true
				}
				c.grants |= k.bit()
			}
			verb := "allowed"
			if c.deny {
				verb = "denied"
			}
			c.because = fmt.Sprintf("%s by policy %q, line %d: %s", verb, p.Name, r.Line, r.Path)
			a.add(c)
		}
	}
	a.names = strings.Join(names, ", ")
	return a
}

// add files c under the literal segments it starts with.
func (a *ACL) add(c *compiledRule) {
	h := &a.wild
	if c.segs[0].kind == segLiteral {
		if h = a.byHead[c.segs[0].lit]; h == nil {
			h = &segRules{bySecond: map[string][]*compiledRule{}}
			a.byHead[c.segs[0].lit] = h
		}
	}
	// The second segment lines up with the path's second only when the
	// first takes exactly one segment, as every matcher but "**" does.
	if len(c.segs) < 2 || c.segs[0].kind == segDeep || c.segs[1].kind != segLiteral {
		h.other = append(h.other, c)
		return
	}
	h.bySecond[c.segs[1].lit] = append(h.bySecond[c.segs[1].lit], c)
}

var rootACL = &ACL{root: true}

// Root returns the ACL of the root policy, which allows everything.
func Root() *ACL { return rootACL }

// maxStackSegs is how many path segments Check splits without allocating.
const maxStackSegs = 32

// Check decides whether capability c is allowed on path, which must be
// canonical (see CanonicalPath). A matching deny refuses; else the first
// matching rule (in policy order) that grants c allows, preferring one that
// requires MFA; else c is refused.
func (a *ACL) Check(path string, c Capability) Decision {
	if a.root {
		return Decision{Allowed: true, Policy: RootName, Reason: "allowed by the root policy"}
	}
	var buf [maxStackSegs]string
	segs := splitPath(path, buf[:0])
	var grant *compiledRule
	want := c.bit()
	for _, list := range a.candidates(segs) {
		for _, r := range list {
			if !r.match(segs) {
				continue
			}
			if r.deny {
				return Decision{Policy: r.policy, Rule: r.rule, Reason: r.because}
			}
			if r.grants.has(want) && (grant == nil || r.mfa && !grant.mfa || r.mfa == grant.mfa && r.order < grant.order) {
				grant = r
			}
		}
	}
	if grant == nil {
		return Decision{Reason: "no rule of policies [" + a.names + "] grants " + string(c) + " on " + path}
	}
	return Decision{Allowed: true, MFA: grant.mfa, Policy: grant.policy, Rule: grant.rule, Reason: grant.because}
}

// Capabilities returns the sorted names of the capabilities allowed on path
// (canonical): ["root"] for the root ACL, ["deny"] when a deny matches or
// nothing is granted. admin brings every capability's name with it.
func (a *ACL) Capabilities(path string) []string {
	if a.root {
		return []string{RootName}
	}
	var buf [maxStackSegs]string
	segs := splitPath(path, buf[:0])
	var g grants
	for _, list := range a.candidates(segs) {
		for _, r := range list {
			if !r.match(segs) {
				continue
			}
			if r.deny {
				return []string{string(CapDeny)}
			}
			g |= r.grants
		}
	}
	if g == 0 {
		return []string{string(CapDeny)}
	}
	return g.names()
}

// candidates returns the rule lists that may match segs: those filed under
// its first (and second) segment, and the glob-headed ones unless it is a
// system path.
func (a *ACL) candidates(segs []string) (lists [4][]*compiledRule) {
	head := segs[0]
	if head == "" {
		return lists
	}
	if h := a.byHead[head]; h != nil {
		lists[0], lists[1] = h.lookup(segs)
	}
	if head != "sys" && head != "auth" {
		lists[2], lists[3] = a.wild.lookup(segs)
	}
	return lists
}

// lookup returns the rules of h that may match segs.
func (h *segRules) lookup(segs []string) (other, second []*compiledRule) {
	if len(segs) > 1 {
		second = h.bySecond[segs[1]]
	}
	return h.other, second
}

// splitPath splits path at "/" into buf, growing it past its capacity only
// for very deep paths.
func splitPath(path string, buf []string) []string {
	for {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return append(buf, path)
		}
		buf = append(buf, path[:i])
		path = path[i+1:]
	}
}
