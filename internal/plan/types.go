package plan

import (
	"errors"
	"fmt"

	"github.com/wardhq/ward/internal/types"
)

// schemaProblem compiles a type's schema as the server will and returns
// the line of the problem (0: none in particular) and what it is, or "".
func schemaProblem(name string, src []byte) (int, string) {
	if types.IsBuiltin(name) {
		return 0, fmt.Sprintf("type %q ships with ward and cannot be replaced; give your type another name, like %q, or use the built-in one without declaring it", name, name+"-custom")
	}
	_, err := types.Compile(name, src)
	var ce *types.CompileError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &ce):
		msg := ce.Reason
		if ce.Pointer != "" {
			msg = "at " + ce.Pointer + ": " + msg
		}
		return ce.Line, msg
	}
	return 0, err.Error()
}

// builtinType reports whether ward ships a type called name.
func builtinType(name string) bool { return types.IsBuiltin(name) }
