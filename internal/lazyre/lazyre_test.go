package lazyre

import "testing"

func TestCompiledOnceOnFirstUse(t *testing.T) {
	re := New(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	if !re().MatchString("ci-api") || re().MatchString("-x") {
		t.Fatal("the expression does not match as compiled")
	}
	if re() != re() {
		t.Fatal("each call compiled the expression again")
	}
}

func TestInvalidPanicsOnUseOnly(t *testing.T) {
	re := New(`(`) // must not panic here
	defer func() {
		if recover() == nil {
			t.Fatal("an invalid expression did not panic on use")
		}
	}()
	re()
}
