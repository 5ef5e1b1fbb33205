package auth_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardhq/ward/internal/auth"
	"github.com/wardhq/ward/internal/storage/memory"
)

func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	st, _ := auth.NewStore(auth.Config{Storage: memory.New(), Now: func() time.Time { return now }})

	_, root, _ := st.CreateRoot(ctx)
	_, deployer, _ := st.Create(ctx, root, auth.CreateRequest{
		Policies: []string{"deploy", "read"}, Env: "staging", EnvID: "env-1", TTL: time.Hour,
	})
	secret, job, _ := st.Create(ctx, deployer, auth.CreateRequest{Policies: []string{"read"}, TTL: 2 * time.Hour})
	fmt.Println(job.Policies, job.Env, job.TTL, job.Parent == deployer.Accessor)

	t, err := st.Lookup(ctx, secret)
	fmt.Println(t.Accessor == job.Accessor, err)

	_, _, err = st.Create(ctx, deployer, auth.CreateRequest{Policies: []string{"admin"}})
	fmt.Println(err)

	_ = st.Revoke(ctx, deployer)
	_, err = st.Lookup(ctx, secret)
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// [read] staging 1h0m0s true
	// true <nil>
	// auth: permission denied: the parent token does not hold policy "admin"; a token can only give policies it holds
	// true
}
