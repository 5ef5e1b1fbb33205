package scan

// automaton is an Aho-Corasick automaton over lowercase ASCII keywords,
// compiled to a full DFA whose transitions fold ASCII case, so one pass over
// the input finds every occurrence of every keyword in any case.
type automaton struct {
	delta []uint16  // state<<8 | byte -> next state | outFlag
	out   [][]int32 // state -> keyword indexes ending here (via suffix links)
	lens  []int     // keyword index -> length
}

const outFlag = 1 << 15

// maxStates bounds the automaton so that a state and its flag fit 16 bits.
const maxStates = outFlag

func newAutomaton(keywords []string) *automaton {
	type node struct {
		next map[byte]int
		fail int
		out  []int32
	}
	nodes := []node{{next: map[byte]int{}}}
	a := &automaton{}
	for ki, k := range keywords {
		s := 0
		for i := 0; i < len(k); i++ {
			c := lowerASCII(k[i])
			n, ok := nodes[s].next[c]
			if !ok {
				n = len(nodes)
				nodes = append(nodes, node{next: map[byte]int{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(ki))
		a.lens = append(a.lens, len(k))
	}
	// Breadth-first: suffix links and the full transition table.
	n := len(nodes)
	if n > maxStates {
		panic("scan: keyword automaton over 32767 states") // rules are checked before: see compileRuleSet
	}
	a.delta = make([]uint16, n*256)
	a.out = make([][]int32, n)
	queue := []int{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s != 0 {
			nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		}
		a.out[s] = nodes[s].out
		for c := 0; c < 256; c++ {
			lc := lowerASCII(byte(c))
			if t, ok := nodes[s].next[lc]; ok {
				if s != 0 {
					nodes[t].fail = int(a.delta[nodes[s].fail<<8|int(lc)] &^ outFlag)
				}
				if lc == byte(c) {
					queue = append(queue, t)
				}
				a.delta[s<<8|c] = uint16(t)
			} else if s != 0 {
				a.delta[s<<8|c] = a.delta[nodes[s].fail<<8|int(lc)] &^ outFlag
			}
		}
	}
	for i := range a.delta {
		if len(nodes[a.delta[i]&^outFlag].out) > 0 {
			a.delta[i] |= outFlag
		}
	}
	return a
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// find calls hit(keyword, start) for every keyword occurrence in b, in
// order of the occurrence's end.
func (a *automaton) find(b []byte, hit func(kw int, start int)) {
	delta := a.delta
	var s uint16
	for i, c := range b {
		s = delta[int(s)<<8|int(c)]
		if s&outFlag != 0 {
			s &^= outFlag
			for _, k := range a.out[s] {
				hit(int(k), i+1-a.lens[k])
			}
		}
	}
}
