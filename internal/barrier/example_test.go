package barrier_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/wardhq/ward/internal/barrier"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

func Example() {
	ctx := context.Background()
	// The caller says which keyring seals which key: here, values under
	// env/<id>/ are environment <id>'s.
	layout := func(key string) (string, bool) {
		rest, ok := strings.CutPrefix(key, "env/")
		id, _, more := strings.Cut(rest, "/")
		return id, ok && more
	}
	b := barrier.New(barrier.Config{Storage: memory.New(), KeyringOf: layout})
	shares, err := b.Init(ctx, 5, 3)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range shares[:3] {
		if _, err := b.Unseal(ctx, s); err != nil {
			log.Fatal(err)
		}
	}
	if err := b.CreateEnvKey(ctx, "prod"); err != nil {
		log.Fatal(err)
	}
	key := "env/prod/v/payments/db/0000000001"
	if err := b.Put(ctx, &storage.Entry{Key: key, Value: []byte(`{"password":"…"}`)}); err != nil {
		log.Fatal(err)
	}
	e, err := b.Get(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(e.Value))

	b.Seal()
	_, err = b.Get(ctx, key)
	fmt.Println(err)
	// Output:
	// {"password":"…"}
	// barrier: sealed
}
