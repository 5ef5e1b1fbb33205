package codegen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardhq/ward/internal/types"
)

// ErrUnknownType is wrapped when a manifest names a type that is neither
// built in nor declared in the ward/ directory.
var ErrUnknownType = errors.New("unknown type")

// DirTypes looks a type up among the built-in types, then in
// DIR/types/NAME.schema.json (dir is a ward/ policy-as-code directory; ""
// reads the built-in types only). A schema it returns compiles as the
// server would compile it.
func DirTypes(dir string) TypeSource {
	return func(name string) ([]byte, error) {
		if err := types.ValidName(name); err != nil {
			return nil, err
		}
		if src, ok := types.Builtins()[name]; ok {
			return src, nil
		}
		where := "no ward/ directory was given"
		if dir != "" {
			path := filepath.Join(dir, "types", name+".schema.json")
			src, err := os.ReadFile(path)
			switch {
			case err == nil:
				if _, err := types.Compile(name, src); err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				return src, nil
			case !errors.Is(err, fs.ErrNotExist):
				return nil, err
			}
			where = "there is no " + path
		}
		return nil, fmt.Errorf("%w %q: it is not built in (%s) and %s", ErrUnknownType, name, strings.Join(types.BuiltinNames(), ", "), where)
	}
}
