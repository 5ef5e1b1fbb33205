#!/usr/bin/env python3
"""Writes vectors.json: Shamir splits over GF(2^8) (AES polynomial 0x11b)
computed by an implementation independent of the Go one (log/exp tables,
generator 3), so that shamir_test.go checks Go against something else.

Each vector gives the secret, the threshold, the random bytes Split reads
(threshold-1 per secret byte, in order) and the shares it must produce
(values then x, x = 1..parts). Run: python3 gen_vectors.py > vectors.json
"""
import json, random

EXP, LOG = [0] * 512, [0] * 256
x = 1
for i in range(255):
    EXP[i] = x
    LOG[x] = i
    # multiply by the generator 3: x*2 ^ x, reduced by 0x11b
    x2 = x << 1
    if x2 & 0x100:
        x2 ^= 0x11b
    x = x2 ^ x
for i in range(255, 512):
    EXP[i] = EXP[i - 255]

def mul(a, b):
    if a == 0 or b == 0:
        return 0
    return EXP[LOG[a] + LOG[b]]

def split(secret, parts, threshold, rnd):
    shares = [bytearray(len(secret) + 1) for _ in range(parts)]
    pos = 0
    for b, s in enumerate(secret):
        coeffs = [s] + list(rnd[pos:pos + threshold - 1])
        pos += threshold - 1
        for i in range(parts):
            xi, y, p = i + 1, 0, 1
            for c in coeffs:
                y ^= mul(c, p)
                p = mul(p, xi)
            shares[i][b] = y
    for i in range(parts):
        shares[i][len(secret)] = i + 1
    return shares

rng = random.Random(20261125)
cases = [(1, 1, 1), (1, 3, 1), (1, 2, 2), (4, 3, 2), (16, 5, 3), (32, 5, 5), (32, 10, 4), (7, 255, 3)]
out = []
for n, parts, threshold in cases:
    secret = bytes(rng.randrange(256) for _ in range(n))
    rnd = bytes(rng.randrange(256) for _ in range(n * (threshold - 1)))
    out.append({
        "secret": secret.hex(),
        "parts": parts,
        "threshold": threshold,
        "random": rnd.hex(),
        "shares": [bytes(s).hex() for s in split(secret, parts, threshold, rnd)],
    })
print(json.dumps(out, indent=1))
