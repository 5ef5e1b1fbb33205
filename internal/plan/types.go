package plan

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"

	"github.com/wardhq/ward/internal/jsonstrict"
)

// MaxSchemaDepth bounds how deeply a schema may nest.
const MaxSchemaDepth = 64

var offsetRE = regexp.MustCompile(`offset (\d+)`)

// schemaProblem checks a type's schema and returns the line of the problem
// (0: unknown) and what it is, or "".
func schemaProblem(name string, src []byte) (int, string) {
	if err := jsonstrict.Check(src, MaxSchemaDepth); err != nil {
		line := 0
		if m := offsetRE.FindStringSubmatch(err.Error()); m != nil {
			off, _ := strconv.Atoi(m[1])
			line = lineAt(src, off)
		}
		return line, fmt.Sprintf("type %s: %v", name, err)
	}
	return 0, ""
}

// lineAt is the 1-based line of byte offset off in src.
func lineAt(src []byte, off int) int {
	off = min(max(off, 0), len(src))
	return bytes.Count(src[:off], []byte("\n")) + 1
}

// builtinType reports whether ward ships a type called name.
func builtinType(name string) bool { return false }
