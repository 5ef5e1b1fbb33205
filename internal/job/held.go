package job

import (
	"io"

	"github.com/wardhq/ward/internal/mask"
)

// A heldWriter is one of the child's output streams while its masker is
// still being built (Child.MaskLater): Write blocks until release, so the
// child's output waits in its pipe (and the child, once the pipe is full)
// and nothing leaves before it can be masked.
type heldWriter struct {
	released chan struct{}
	w        io.Writer // set once, before released is closed
}

func newHeldWriter() *heldWriter { return &heldWriter{released: make(chan struct{})} }

func (h *heldWriter) Write(p []byte) (int, error) {
	<-h.released
	return h.w.Write(p)
}

// release lets the writes through to w.
func (h *heldWriter) release(w io.Writer) {
	h.w = w
	close(h.released)
}

// failedWriter refuses every write: the stream of a child whose masker
// could not be built.
type failedWriter struct{ err error }

func (f failedWriter) Write([]byte) (int, error) { return 0, f.err }

// outputs are a child's two output streams: what the command writes to,
// and, once the masker is known, the masking writers Supervise closes and
// a Control updates.
type outputs struct {
	stdout, stderr io.Writer
	held           []*heldWriter
	masked         []*mask.Writer
}

// newOutputs masks c.Stdout and c.Stderr with c.Mask, or holds them back
// until releaseOutputs when c.MaskLater is set.
func newOutputs(c *Child) *outputs {
	o := &outputs{stdout: c.Stdout, stderr: c.Stderr}
	switch {
	case c.MaskLater != nil:
		out, errw := newHeldWriter(), newHeldWriter()
		o.stdout, o.stderr, o.held = out, errw, []*heldWriter{out, errw}
	case c.Mask != nil:
		o.mask(c.Mask, c)
	}
	return o
}

func (o *outputs) mask(m *mask.Matcher, c *Child) {
	out, errw := m.NewWriter(c.Stdout), m.NewWriter(c.Stderr)
	o.stdout, o.stderr, o.masked = out, errw, []*mask.Writer{out, errw}
}

// release waits for c.MaskLater, when it is set, and lets the held
// streams through its masker (or as they are, for a nil one). On an error
// the streams fail instead, and release returns it.
func (o *outputs) release(c *Child) error {
	if o.held == nil {
		return nil
	}
	m, err := c.MaskLater()
	held := o.held
	o.held = nil
	switch {
	case err != nil:
		for _, h := range held {
			h.release(failedWriter{err})
		}
		return err
	case m != nil:
		o.mask(m, c)
	default:
		o.stdout, o.stderr = c.Stdout, c.Stderr
	}
	held[0].release(o.stdout)
	held[1].release(o.stderr)
	return nil
}
