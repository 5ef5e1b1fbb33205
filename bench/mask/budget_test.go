package main

import (
	"bytes"
	"strings"
	"testing"
)

func timed(rs ...run) timing { return timing{runs: rs} }

func TestBudget(t *testing.T) {
	// copy1m 0.140 s (median of 0.120, 0.140, 0.300): 0.70 of it is
	// 0.200 s, on 2 cores 0.400 s of CPU. cat 0.070, ward's system time
	// 0.080 and its start-up's user time 0.100 leave 0.150 s for 300 MB:
	// 2.00 GB/s a core. The scan now is 0.400 - 0.100 = 0.300 s: 1.00 GB/s
	// a core, 2.00 times the budget.
	copy1m := timed(run{wall: 0.120}, run{wall: 0.140}, run{wall: 0.300})
	ward := timed(
		run{wall: 0.35, catSys: 0.070, user: 0.400, sys: 0.080},
		run{wall: 0.50, catSys: 0.090, user: 0.500, sys: 0.090},
		run{wall: 0.30, catSys: 0.060, user: 0.390, sys: 0.070},
	)
	noValues := timed(run{wall: 0.175})
	start := timed(run{wall: 0.07, user: 0.100, sys: 0.02})
	var out bytes.Buffer
	printBudget(&out, 2, 0.70, 300e6, copy1m, ward, noValues, start)
	for _, want := range []string{
		"budget for 70 % of copy1m on 2 cores: 0.200 s of wall time, at most 0.400 s of CPU",
		"cat, in the ward mask runs                    0.070 s",
		"0.080 s",
		"0.100 s  (no input: 0.070 s of wall time, 0.120 s of CPU)",
		"left for the scan                             0.150 s  2.00 GB/s a core",
		"0.300 s  1.00 GB/s a core, 2.00 times the budget",
		"ward mask with no values (reading and writing alone): 0.175 s, 80.0 % of copy1m",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("budget lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBudgetNothingLeft(t *testing.T) {
	// A start-up alone that outruns the target leaves no budget, and no
	// ratio to it is printed.
	var out bytes.Buffer
	printBudget(&out, 1, 0.70, 1e6, timed(run{wall: 0.07}), timed(run{user: 0.3}), timed(run{wall: 0.1}), timed(run{user: 0.2}))
	if s := out.String(); !strings.Contains(s, "nothing left") || strings.Contains(s, "times the budget") {
		t.Errorf("budget:\n%s", s)
	}
}
