package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
)

// sysSnapshot answers GET sys/ward/snapshot (read on sys/ward/snapshot):
// a snapshot of the whole store, base64 in data.snapshot, with its entry
// count and checksum. The snapshot is barrier ciphertext; the audit entry
// records the count and checksum, not the snapshot.
func (s *Server) sysSnapshot(ctx context.Context, req *request) (*response, error) {
	var buf bytes.Buffer
	sum, err := s.v.Snapshot(ctx, &buf)
	if err != nil {
		return nil, err
	}
	data := map[string]any{
		"snapshot": base64.StdEncoding.EncodeToString(buf.Bytes()),
		"entries":  sum.Entries,
		"sha256":   sum.Hex(),
	}
	body := envelope(req, data)
	delete(body, "mount_type")
	return &response{status: http.StatusOK, body: body, auditData: map[string]any{"entries": sum.Entries, "sha256": sum.Hex()}}, nil
}
