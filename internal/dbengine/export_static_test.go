package dbengine

import (
	"context"
	"time"

	"github.com/wardhq/ward/internal/lease"
)

// SetStaticPending stores a pending credential for static role name, as a
// rotation interrupted after it stored it would leave.
func SetStaticPending(e *Engine, env lease.Env, name, user, password string) error {
	ctx := context.Background()
	st, err := e.loadStatic(ctx, env, name)
	if err != nil {
		return err
	}
	st.Pending = &staticCred{User: user, Password: password, At: time.Now().UTC()}
	return e.store(ctx, staticKey(env.ID, name), st)
}
