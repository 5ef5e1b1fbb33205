//go:build !amd64

package mask

const haveNewlineMasks = false

func newlineMasksVec(b []byte, masks []uint64) {}
