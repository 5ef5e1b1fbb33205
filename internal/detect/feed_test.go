package detect

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestOfferLines(t *testing.T) {
	s := NewService(ServiceConfig{Config: DefaultConfig(), Backlog: 1})
	batch := []byte(`{"type":"request"}` + "\n" + "not json\n" + `{"type":"request"}` + "\n")
	s.OfferLines(batch)
	copy(batch, strings.Repeat("x", len(batch))) // the service kept a copy
	s.OfferLines([]byte("a\nb\nc"))              // the backlog (1) is full: 3 lines dropped
	if got := s.Stats().Dropped; got != 3 {
		t.Errorf("dropped %d lines, want 3", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Start(ctx)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats().Engine
	if st.Lines != 3 || st.Unparsable != 1 || st.LastUnparsable != 2 {
		t.Errorf("engine stats %+v, want 3 lines, line 2 unparsable", st)
	}
}
