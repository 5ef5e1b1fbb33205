package rotatetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/wardhq/ward/internal/rotate"
)

// ErrDown is the error of a Target that is down.
var ErrDown = errors.New("target down")

// ErrRefused is Verify's error for a value the target does not accept.
var ErrRefused = errors.New("the target refuses the value")

// Target is an in-memory rotate.Target: per secret, the set of values it
// accepts. With Single set it holds one value per secret, as a database
// user with one password does.
type Target struct {
	Single bool

	mu    sync.Mutex
	down  bool
	valid map[string]map[string]bool // guarded by mu; secret → value fingerprint
}

var _ rotate.Target = (*Target)(nil)

// NewTarget returns a Target that accepts nothing yet.
func NewTarget(single bool) *Target {
	return &Target{Single: single, valid: map[string]map[string]bool{}}
}

func fingerprint(v map[string]any) string {
	b, _ := json.Marshal(v) // sorted keys
	return string(b)
}

// Seed makes value valid for env's secret at path, as its first version.
func (t *Target) Seed(env, path string, value map[string]any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.valid[key(env, path)] = map[string]bool{fingerprint(value): true}
}

// SetDown makes every call fail with ErrDown (true) or work again.
func (t *Target) SetDown(down bool) {
	t.mu.Lock()
	t.down = down
	t.mu.Unlock()
}

// Valid counts the values the target accepts for a secret.
func (t *Target) Valid(env, path string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.valid[key(env, path)])
}

func (t *Target) Apply(_ context.Context, s *rotate.Secret, _, next map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return ErrDown
	}
	k := key(s.Env, s.Path)
	if t.Single || t.valid[k] == nil {
		t.valid[k] = map[string]bool{}
	}
	t.valid[k][fingerprint(next)] = true
	return nil
}

func (t *Target) Verify(_ context.Context, s *rotate.Secret, value map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return ErrDown
	}
	if !t.valid[key(s.Env, s.Path)][fingerprint(value)] {
		return ErrRefused
	}
	return nil
}

func (t *Target) Disable(_ context.Context, s *rotate.Secret, value map[string]any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return ErrDown
	}
	delete(t.valid[key(s.Env, s.Path)], fingerprint(value))
	return nil
}

// Consumers is an in-memory rotate.Consumers.
type Consumers struct {
	mu    sync.Mutex
	reads map[string]map[string]int
}

// NewConsumers returns Consumers that know of no reads.
func NewConsumers() *Consumers { return &Consumers{reads: map[string]map[string]int{}} }

// Read records that who read version v of env's secret at path.
func (c *Consumers) Read(env, path, who string, v int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key(env, path)
	if c.reads[k] == nil {
		c.reads[k] = map[string]int{}
	}
	c.reads[k][who] = v
}

func (c *Consumers) LastRead(_ context.Context, env, path string) (map[string]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for who, v := range c.reads[key(env, path)] {
		out[who] = v
	}
	return out, nil
}
