package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Vault's HCL policies, translated for the vault CLI's policy write.
//
// FromVaultHCL turns Vault policy blocks
//
//	path "staging/data/app/*" { capabilities = ["read", "list"] }
//
// into a ward policy (YAML), and refuses with the line what does not
// translate. A KV v2 path ENV/data|metadata|delete|undelete|destroy/REST
// becomes the rule ENV/REST: on data/ the capabilities carry over, on
// metadata/ read and list carry over and delete becomes destroy (deleting
// the metadata destroys every version), update on delete/, undelete/ and
// destroy/ becomes delete, undelete and destroy. sys/ and auth/ paths
// keep their capabilities. Vault's globs: a trailing "*" (a prefix match)
// becomes "**" after a "/" and "X*" plus "X*/**" otherwise; "+" (one
// segment) becomes "*". Refused: sudo, parameter constraints
// (allowed_parameters, ...), control groups, other mounts than an
// environment's KV v2, and a glob not at the end.

var (
	hclBlockRE = regexp.MustCompile(`(?s)path\s+"([^"]*)"\s*\{(.*?)\}`)
	hclCapsRE  = regexp.MustCompile(`(?s)^\s*capabilities\s*=\s*\[([^\]]*)\]\s*$`)
	hclWordRE  = regexp.MustCompile(`"([^"]*)"`)
)

// LooksLikeVaultHCL reports whether src is a Vault HCL policy rather than
// a ward one: it has a path "..." { block.
func LooksLikeVaultHCL(src []byte) bool {
	return hclBlockRE.Match(src)
}

// FromVaultHCL translates a Vault HCL policy (see above) to ward's YAML.
func FromVaultHCL(src []byte) ([]byte, error) {
	text := stripHCLComments(string(src))
	lineOf := func(off int) int { return strings.Count(text[:off], "\n") + 1 }
	var rules []Rule
	last := 0
	for _, m := range hclBlockRE.FindAllStringSubmatchIndex(text, -1) {
		if rest := strings.TrimSpace(text[last:m[0]]); rest != "" {
			return nil, hclErr(lineOf(last+strings.Index(text[last:m[0]], rest)), "only path \"...\" { capabilities = [...] } blocks translate")
		}
		last = m[1]
		line := lineOf(m[0])
		body := text[m[4]:m[5]]
		cm := hclCapsRE.FindStringSubmatch(body)
		if cm == nil {
			return nil, hclErr(line, "a block may hold only capabilities = [...]; sudo, parameter constraints and control groups have no ward equivalent")
		}
		var caps []string
		for _, w := range hclWordRE.FindAllStringSubmatch(cm[1], -1) {
			caps = append(caps, w[1])
		}
		r, err := translateHCLRule(text[m[2]:m[3]], caps)
		if err != nil {
			return nil, hclErr(line, err.Error())
		}
		rules = append(rules, r...)
	}
	if rest := strings.TrimSpace(text[last:]); rest != "" {
		return nil, hclErr(lineOf(last+strings.Index(text[last:], rest)), "only path \"...\" { capabilities = [...] } blocks translate")
	}
	if len(rules) == 0 {
		return nil, hclErr(1, "no path blocks")
	}
	var b strings.Builder
	b.WriteString("description: translated from a Vault HCL policy\nrules:\n")
	for _, r := range rules {
		caps := make([]string, len(r.Capabilities))
		for i, c := range r.Capabilities {
			caps[i] = string(c)
		}
		fmt.Fprintf(&b, "  - path: %q\n    capabilities: [%s]\n", r.Path, strings.Join(caps, ", "))
	}
	return []byte(b.String()), nil
}

func hclErr(line int, msg string) error {
	return fmt.Errorf("%w: Vault HCL policy, line %d: %s", ErrBadPolicy, line, msg)
}

func stripHCLComments(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// translateHCLRule translates one Vault path and its capabilities.
func translateHCLRule(p string, caps []string) ([]Rule, error) {
	if slices.Contains(caps, "sudo") {
		return nil, fmt.Errorf("sudo has no ward equivalent: whole-vault operations need a root token")
	}
	if i := strings.IndexAny(p, "*"); i >= 0 && i != len(p)-1 {
		return nil, fmt.Errorf("%q: a \"*\" must end the path", p)
	}
	p = strings.ReplaceAll(p, "+", "*")
	segs := strings.SplitN(p, "/", 3)
	var mapped []Capability
	add := func(c Capability) {
		if !slices.Contains(mapped, c) {
			mapped = append(mapped, c)
		}
	}
	var out string
	switch {
	case segs[0] == "sys" || segs[0] == "auth":
		out = p
		for _, c := range caps {
			add(Capability(c))
		}
	case len(segs) == 3:
		out = segs[0] + "/" + segs[2]
		for _, c := range caps {
			if c == "deny" {
				add(CapDeny)
				continue
			}
			switch segs[1] {
			case "data":
				add(Capability(c))
			case "metadata":
				switch c {
				case "read", "list":
					add(Capability(c))
				case "delete":
					add(CapDestroy)
				case "create", "update", "patch":
					add(Capability(c))
				}
			case "delete", "undelete", "destroy":
				if c == "update" || c == "create" {
					add(Capability(segs[1]))
				}
			default:
				return nil, fmt.Errorf("%q is not a KV v2 path of an environment (ENV/data/..., ENV/metadata/...)", p)
			}
		}
	default:
		return nil, fmt.Errorf("%q is not a KV v2 path of an environment (ENV/data/..., ENV/metadata/...)", p)
	}
	if len(mapped) == 0 {
		return nil, fmt.Errorf("%q: no capability here has a ward equivalent", p)
	}
	for _, c := range mapped {
		if !c.known() {
			return nil, fmt.Errorf("capability %q is unknown", c)
		}
	}
	if !strings.HasSuffix(out, "*") {
		return []Rule{{Path: out, Capabilities: mapped}}, nil
	}
	base := strings.TrimSuffix(out, "*")
	if base == "" || strings.HasSuffix(base, "/") {
		return []Rule{{Path: base + "**", Capabilities: mapped}}, nil
	}
	return []Rule{{Path: base + "*", Capabilities: mapped}, {Path: base + "*/**", Capabilities: mapped}}, nil
}
