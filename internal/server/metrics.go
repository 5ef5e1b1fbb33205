package server

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/wardhq/ward/internal/metrics"
)

// observe counts one answered request in the server's metrics: its route
// pattern (never its path, unless the operator turned path labels on),
// method, status and latency.
func (s *Server) observe(req *request, method string, status int, start time.Time) {
	m := s.cfg.Metrics
	if m == nil {
		return
	}
	route, path := "", ""
	if req != nil {
		route, path, method = req.pattern, req.policyPath, req.method
	} else {
		method = safeMethod(method)
	}
	m.Request(route, method, status, path, s.cfg.Now().Sub(start))
}

// textBody is a response body that is not JSON: the metrics' text format.
type textBody struct {
	contentType string
	data        []byte
}

func (t *textBody) write(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", t.contentType)
	w.WriteHeader(status)
	w.Write(t.data)
}

// sysMetrics answers GET sys/metrics (read on sys/metrics): every metric
// in Prometheus' text format. The audit entry records its size only.
func (s *Server) sysMetrics(ctx context.Context, req *request) (*response, error) {
	if s.cfg.Metrics == nil {
		return nil, errorf(http.StatusNotFound, "this server keeps no metrics")
	}
	var buf bytes.Buffer
	if err := s.cfg.Metrics.WriteText(&buf); err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: &textBody{contentType: metrics.ContentType, data: buf.Bytes()},
		auditData: map[string]any{"bytes": buf.Len()}}, nil
}
