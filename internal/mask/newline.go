package mask

// newlineBlock is the block that newlineMasks describes in one word: bit
// j of the word is set when byte j of the block is '\n'.
const newlineBlock = 64

// newlineMasks sets masks[k] to the line breaks of the block
// b[64k:64k+64], for as many whole blocks as b and masks hold, and
// returns how many that is. Where there is no vector code for it, it
// does nothing and returns 0: the caller looks for the breaks of what is
// left with bytes.IndexByte, which costs a call a line.
func newlineMasks(b []byte, masks []uint64) int {
	n := min(len(b)/newlineBlock, len(masks))
	if !haveNewlineMasks || n == 0 {
		return 0
	}
	newlineMasksVec(b[:n*newlineBlock], masks[:n])
	return n
}
