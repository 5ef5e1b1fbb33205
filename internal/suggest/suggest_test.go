package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"read", "read", 0},
		{"raed", "read", 1}, // a swap of neighbours is one edit
		{"lsit", "list", 1},
		{"capabilties", "capabilities", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	words := []string{"read", "list", "create", "update", "capabilities", "path"}
	tests := []struct{ got, want string }{
		{"capabilties", "capabilities"},
		{"Lsit", "list"},
		{"pth", "path"},
		{"xyz", ""},    // nothing near
		{"re", ""},     // too short to guess from
		{"delete", ""}, // three edits from "create"
	}
	for _, tt := range tests {
		if got := Closest(tt.got, words); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}
