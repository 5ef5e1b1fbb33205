package scan

import (
	"hash/crc32"
	"math"

	"github.com/wardhq/ward/internal/wardtoken"
)

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// longestRun is the length of the longest run of one repeated byte in b.
func longestRun(b []byte) int {
	best, cur := 0, 0
	for i := range b {
		if i > 0 && b[i] == b[i-1] {
			cur++
		} else {
			cur = 1
		}
		best = max(best, cur)
	}
	return best
}

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Checksum writes the CRC-32 (IEEE) of b as 6 base62 digits, most
// significant first, zero-padded: the checksum GitHub's and ward's tokens
// end with.
func base62Checksum(b []byte) [6]byte {
	n := crc32.ChecksumIEEE(b)
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62Digits[n%62]
		n /= 62
	}
	return out
}

// githubChecksumOK checks a GitHub token "gh?_" + 30 random + 6 checksum
// characters: the checksum is the CRC-32 of the random part.
func githubChecksumOK(tok []byte) bool {
	if len(tok) != 40 {
		return false
	}
	return base62Checksum(tok[4:34]) == [6]byte(tok[34:40])
}

// wardChecksumOK checks a ward token or accessor ("ward_"/"wacc_" + 43
// random + 6 checksum characters) with internal/wardtoken, which owns the
// format.
func wardChecksumOK(tok []byte) bool {
	s := string(tok)
	return wardtoken.Valid(s) || wardtoken.ValidAccessor(s)
}
