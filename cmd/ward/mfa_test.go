package main

import (
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"
)

// The half-block drawing decodes back to the QR code's modules, in both
// polarities.
func TestDrawQR(t *testing.T) {
	q, err := qrcode.New("otpauth://totp/ward:alice?secret=JBSWY3DPEHPK3PXP&issuer=ward", qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	for _, invert := range []bool{false, true} {
		var b strings.Builder
		if err := drawQR(&b, want, invert); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != (len(want)+1)/2 {
			t.Fatalf("%d lines for %d rows", len(lines), len(want))
		}
		for i, line := range lines {
			cells := []rune(line)
			if len(cells) != len(want[0]) {
				t.Fatalf("line %d: %d cells, want %d", i, len(cells), len(want[0]))
			}
			for x, c := range cells {
				top := c == '█' || c == '▀'
				bottom := c == '█' || c == '▄'
				if dark := top == invert; dark != want[2*i][x] {
					t.Fatalf("invert=%v: module (%d,%d) drawn wrong", invert, x, 2*i)
				}
				if 2*i+1 < len(want) {
					if dark := bottom == invert; dark != want[2*i+1][x] {
						t.Fatalf("invert=%v: module (%d,%d) drawn wrong", invert, x, 2*i+1)
					}
				}
			}
		}
	}
}
