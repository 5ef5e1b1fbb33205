package rotatetest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/internal/rotate"
)

// Readers is an in-memory rotate.Readers: reads recorded by Read, tokens
// revoked by RevokeToken.
type Readers struct {
	mu      sync.Mutex
	reads   []rotate.Reader
	revoked map[string]bool
}

var _ rotate.Readers = (*Readers)(nil)

// NewReaders returns Readers with no reads.
func NewReaders() *Readers { return &Readers{revoked: map[string]bool{}} }

// Read records that the token accessor (of identity) read env's path at.
func (r *Readers) Read(env, path, accessor, identity string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, rotate.Reader{Accessor: accessor, Identity: identity, Path: env + "/" + path, At: at})
}

// Revoked reports whether accessor was revoked.
func (r *Readers) Revoked(accessor string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revoked[accessor]
}

func (r *Readers) ReadersSince(_ context.Context, env, prefix string, since time.Time) ([]rotate.Reader, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	latest := map[string]rotate.Reader{}
	var order []string
	for _, rd := range r.reads {
		path, ok := strings.CutPrefix(rd.Path, env+"/")
		if !ok || !strings.HasPrefix(path, prefix) || rd.At.Before(since) || r.revoked[rd.Accessor] {
			continue
		}
		if _, seen := latest[rd.Accessor]; !seen {
			order = append(order, rd.Accessor)
		}
		rd.Path = path
		latest[rd.Accessor] = rd
	}
	out := make([]rotate.Reader, 0, len(order))
	for _, a := range order {
		out = append(out, latest[a])
	}
	return out, nil
}

func (r *Readers) RevokeToken(_ context.Context, accessor string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked[accessor] = true
	return nil
}
