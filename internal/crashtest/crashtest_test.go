package crashtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// forgetful is a KV API that holds what it is given, for the checks to run
// against: it answers reads and lists from data.
func forgetful(t *testing.T, data map[string]string) *runner {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/v1/"+env+"/")
		switch {
		case r.Method == "GET" && strings.HasPrefix(p, "data/"):
			v, ok := data[strings.TrimPrefix(p, "data/")]
			if !ok {
				http.Error(w, `{"errors":[]}`, http.StatusNotFound)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"data": map[string]string{"v": v}}})
		case r.Method == "LIST" && strings.HasPrefix(p, "metadata/"):
			prefix := strings.TrimPrefix(p, "metadata/")
			var keys []string
			for k := range data {
				if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, "/") {
					keys = append(keys, rest)
				}
			}
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"keys": keys}})
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return &runner{addr: srv.URL, client: srv.Client()}
}

// The checks find a write that is missing, or holds another value, or is no
// longer listed: each is ErrLost.
func TestChecksFindLostWrites(t *testing.T) {
	acked := map[string]string{"c1/w0/0": "a", "c1/w0/1": "b", "c1/w1/0": "c"}
	for _, tc := range []struct {
		name   string
		stored map[string]string
		lost   bool
	}{
		{"AllThere", map[string]string{"c1/w0/0": "a", "c1/w0/1": "b", "c1/w1/0": "c", "c1/w1/1": "unacknowledged"}, false},
		{"Missing", map[string]string{"c1/w0/0": "a", "c1/w1/0": "c"}, true},
		{"OtherValue", map[string]string{"c1/w0/0": "a", "c1/w0/1": "older", "c1/w1/0": "c"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := forgetful(t, tc.stored)
			err := r.readBack(context.Background(), acked)
			if got := errors.Is(err, ErrLost); got != tc.lost {
				t.Errorf("readBack: %v, want lost=%v", err, tc.lost)
			}
			r.all = acked
			err = r.listed(context.Background())
			if want := tc.name == "Missing"; errors.Is(err, ErrLost) != want {
				t.Errorf("listed: %v, want lost=%v", err, want)
			}
		})
	}
}

func TestReportFigures(t *testing.T) {
	r := Report{Restarts: []time.Duration{300 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 4 * time.Second}}
	if r.RestartMedian() != 200*time.Millisecond || r.RestartMax() != 4*time.Second {
		t.Errorf("median %s max %s, want 200ms and 4s", r.RestartMedian(), r.RestartMax())
	}
	if (Report{}).RestartMax() != 0 {
		t.Error("no restarts: max is not 0")
	}
}
