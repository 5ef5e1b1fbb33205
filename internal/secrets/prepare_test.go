package secrets

import (
	"context"
	"fmt"
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
)

// TestPrepareCustomMetadata prepares more paths than there are lock
// stripes (so some share one, which must not deadlock), commits the ops,
// and reads the metadata back.
func TestPrepareCustomMetadata(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	e := New(Config{Storage: st})
	if _, err := e.Put(ctx, "p0", []byte(`{"a":"b"}`), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	set := map[string]map[string]string{}
	for i := range 300 {
		set[fmt.Sprintf("p%d", i)] = map[string]string{"owner": fmt.Sprint(i)}
	}
	var checked int
	ops, release, err := e.PrepareCustomMetadata(ctx, set, func(path string, custom map[string]string, current func() ([]byte, error)) error {
		checked++
		data, err := current()
		if path == "p0" && string(data) != `{"a":"b"}` || path != "p0" && data != nil || err != nil {
			return fmt.Errorf("%s: current = %q, %v", path, data, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Transaction(ctx, ops); err != nil {
		t.Fatal(err)
	}
	release()
	if checked != 300 {
		t.Errorf("check ran %d times", checked)
	}
	md, err := e.Metadata(ctx, "p7")
	if err != nil || md.CustomMetadata["owner"] != "7" {
		t.Fatalf("p7: %+v, %v", md, err)
	}
	if md, _ := e.Metadata(ctx, "p0"); md.CurrentVersion != 1 || md.CustomMetadata["owner"] != "0" {
		t.Errorf("p0 lost its version or took no metadata: %+v", md)
	}
	// A refusal releases the locks: the next write does not wait forever.
	_, _, err = e.PrepareCustomMetadata(ctx, set, func(string, map[string]string, func() ([]byte, error)) error {
		return fmt.Errorf("no")
	})
	if err == nil {
		t.Fatal("a failing check was ignored")
	}
	if _, err := e.Put(ctx, "p1", []byte(`{"a":"c"}`), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.HasSecrets(ctx); !ok || err != nil {
		t.Errorf("HasSecrets = %v, %v", ok, err)
	}
	if ok, _ := New(Config{Storage: storage.NewPrefixed(st, "other/")}).HasSecrets(ctx); ok {
		t.Error("an empty engine has secrets")
	}
}
