// Package shamir splits a secret into parts so that any threshold of them
// rebuild it and fewer reveal nothing about it (Shamir's secret sharing over
// GF(2^8), one random polynomial per byte of the secret).
//
// Two calls:
//
//	shares, err := shamir.Split(rootKey, 5, 3) // five shares, any three open
//	secret, err := shamir.Combine(shares[1:4])
//
// A share is len(secret)+1 bytes: the polynomial values for each byte of the
// secret followed by the x coordinate they were taken at (1..255). Combine
// trusts nothing about its input: a share of the wrong length, with x = 0, or
// at an x coordinate already given is refused. Combine cannot tell a wrong
// share or too few shares from the right ones: it returns some other secret,
// and the caller must check the result (the barrier does, by opening its
// keyring with it).
//
// Threshold 1 is allowed for development servers: the polynomial is a
// constant, so every share holds the secret itself.
package shamir

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// ErrInvalidShare is wrapped by every error Combine returns for input it
// refuses.
var ErrInvalidShare = errors.New("shamir: invalid share")

// Split divides secret into parts shares, any threshold of which rebuild it.
// parts is 1..255 and threshold 1..parts; secret must not be empty. Share i
// (0-based) is taken at x = i+1.
func Split(secret []byte, parts, threshold int) ([][]byte, error) {
	return split(rand.Reader, secret, parts, threshold)
}

func split(random io.Reader, secret []byte, parts, threshold int) ([][]byte, error) {
	switch {
	case len(secret) == 0:
		return nil, errors.New("shamir: cannot split an empty secret")
	case parts < 1 || parts > 255:
		return nil, fmt.Errorf("shamir: parts is %d, must be 1..255", parts)
	case threshold < 1 || threshold > parts:
		return nil, fmt.Errorf("shamir: threshold is %d, must be 1..parts (%d)", threshold, parts)
	}
	shares := make([][]byte, parts)
	for i := range shares {
		shares[i] = make([]byte, len(secret)+1)
		shares[i][len(secret)] = byte(i + 1)
	}
	// coeffs[0] is the secret byte, coeffs[1:] are random.
	coeffs := make([]byte, threshold)
	defer clear(coeffs)
	for b, s := range secret {
		coeffs[0] = s
		if _, err := io.ReadFull(random, coeffs[1:]); err != nil {
			return nil, fmt.Errorf("shamir: reading randomness: %w", err)
		}
		for _, share := range shares {
			share[b] = evaluate(coeffs, share[len(secret)])
		}
	}
	return shares, nil
}

// evaluate returns the polynomial with the given coefficients (constant
// first) at x, by Horner's rule.
func evaluate(coeffs []byte, x byte) byte {
	var y byte
	for i := len(coeffs) - 1; i >= 0; i-- {
		y = mul(y, x) ^ coeffs[i]
	}
	return y
}

// Combine rebuilds the secret from shares made by Split. Given fewer than the
// threshold, or shares of different splits, it returns a wrong secret
// without error; see the package doc.
func Combine(shares [][]byte) ([]byte, error) {
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: no shares given", ErrInvalidShare)
	}
	n := len(shares[0])
	if n < 2 {
		return nil, fmt.Errorf("%w: share 1 is %d bytes, too short to hold a secret", ErrInvalidShare, n)
	}
	xs := make([]byte, len(shares))
	for i, s := range shares {
		if len(s) != n {
			return nil, fmt.Errorf("%w: share %d is %d bytes, share 1 is %d", ErrInvalidShare, i+1, len(s), n)
		}
		x := s[n-1]
		if x == 0 {
			return nil, fmt.Errorf("%w: share %d has x coordinate 0", ErrInvalidShare, i+1)
		}
		for j := range i {
			if xs[j] == x {
				return nil, fmt.Errorf("%w: shares %d and %d are both at x = %d", ErrInvalidShare, j+1, i+1, x)
			}
		}
		xs[i] = x
	}
	// Lagrange interpolation at x = 0: secret = sum of y_i * l_i(0), where
	// l_i(0) = prod over j != i of x_j / (x_j - x_i); subtraction is xor.
	basis := make([]byte, len(shares))
	for i := range shares {
		l := byte(1)
		for j := range shares {
			if j != i {
				l = mul(l, div(xs[j], xs[j]^xs[i]))
			}
		}
		basis[i] = l
	}
	secret := make([]byte, n-1)
	for b := range secret {
		var y byte
		for i, s := range shares {
			y ^= mul(s[b], basis[i])
		}
		secret[b] = y
	}
	return secret, nil
}
