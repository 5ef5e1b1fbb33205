package mask

// haveNewlineMasks: SSE2, which every amd64 processor has.
const haveNewlineMasks = true

// newlineMasksVec is newlineMasks for len(b) == 64*len(masks), in
// newline_amd64.s.
//
//go:noescape
func newlineMasksVec(b []byte, masks []uint64)
