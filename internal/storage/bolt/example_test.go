package bolt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/bolt"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "ward-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	db, err := bolt.Open(filepath.Join(dir, "ward.db"), bolt.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	ctx := context.Background()
	// Two keys in one transaction: both are on disk when it returns, or neither.
	err = db.Transaction(ctx, []storage.Op{
		{Kind: storage.OpPut, Key: "env/prod/db/password", Value: []byte("sealed bytes")},
		{Kind: storage.OpPut, Key: "env/prod/db/meta", Value: []byte("v1")},
	})
	if err != nil {
		panic(err)
	}
	names, err := db.List(ctx, "env/")
	fmt.Println(names, err)
	names, err = db.List(ctx, "env/prod/db/")
	fmt.Println(names, err)
	// Output:
	// [prod/] <nil>
	// [meta password] <nil>
}
