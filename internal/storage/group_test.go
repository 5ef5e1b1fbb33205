package storage

import (
	"slices"
	"testing"
)

func TestGather(t *testing.T) {
	waiting := make(chan int, 10)
	for i := 2; i <= 6; i++ {
		waiting <- i
	}
	// Up to max: the rest stay queued for the next group.
	if g := Gather(waiting, nil, 1, 3); !slices.Equal(g, []int{1, 2, 3}) {
		t.Fatalf("group %v, want [1 2 3]", g)
	}
	// Only what is already waiting: no blocking for more.
	if g := Gather(waiting, make([]int, 0, 8), 0, 8); !slices.Equal(g, []int{0, 4, 5, 6}) {
		t.Fatalf("group %v, want [0 4 5 6]", g)
	}
	// A closed channel ends the group.
	close(waiting)
	if g := Gather(waiting, nil, 9, 8); !slices.Equal(g, []int{9}) {
		t.Fatalf("group %v, want [9]", g)
	}
}
