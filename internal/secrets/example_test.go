package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wardhq/ward/internal/secrets"
	"github.com/wardhq/ward/internal/storage/memory"
)

func Example() {
	ctx := context.Background()
	kv := secrets.New(secrets.Config{Storage: memory.New()})

	// Create only if absent (cas 0), then update from version 1.
	kv.Put(ctx, "payments/db", json.RawMessage(`{"password": "one"}`), secrets.PutOptions{CAS: new(0)})
	kv.Put(ctx, "payments/db", json.RawMessage(`{"password": "two"}`), secrets.PutOptions{CAS: new(1)})
	_, err := kv.Put(ctx, "payments/db", json.RawMessage(`{"password": "late"}`), secrets.PutOptions{CAS: new(1)})
	var cas *secrets.CASError
	fmt.Println(errors.As(err, &cas), cas.Current)

	v, _ := kv.Get(ctx, "payments/db", 0)
	fmt.Println(v.Metadata.Version, string(v.Data))

	// A deleted version reads as not found, with its metadata.
	kv.Delete(ctx, "payments/db")
	v, err = kv.Get(ctx, "payments/db", 0)
	fmt.Println(errors.Is(err, secrets.ErrNotFound), v.Data == nil, !v.Metadata.DeletionTime.IsZero())

	kv.Undelete(ctx, "payments/db", []int{2})
	kv.Patch(ctx, "payments/db", json.RawMessage(`{"user": "app"}`), secrets.PutOptions{})
	v, _ = kv.Get(ctx, "payments/db", 0)
	fmt.Println(v.Metadata.Version, string(v.Data))
	// Output:
	// true 2
	// 2 {"password":"two"}
	// true true true
	// 3 {"password":"two","user":"app"}
}
