package shamir

// Arithmetic in GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1. mul and inv
// run in time independent of their operands (no tables indexed by secret
// bytes, no branches on them).

// mul returns a*b in GF(2^8).
func mul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1)       // add a when the low bit of b is set
		a = a<<1 ^ 0x1b&-(a>>7) // a *= x, reducing by the polynomial
		b >>= 1
	}
	return p
}

// inv returns the multiplicative inverse of a (a^254); inv(0) is 0.
func inv(a byte) byte {
	// a^254 = a^(2+4+8+16+32+64+128)
	sq := mul(a, a) // a^2
	r := sq
	for range 6 {
		sq = mul(sq, sq)
		r = mul(r, sq)
	}
	return r
}

// div returns a/b; b must not be 0.
func div(a, b byte) byte { return mul(a, inv(b)) }
