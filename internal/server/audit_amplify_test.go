package server

import (
	"os"
	"strings"
	"testing"
)

// TestAuditDoesNotAmplify is issue 11's read loop: a 400 KB secret of
// 200,000 tiny elements, read by a read-only token, must not add megabytes
// to the audit log per read (it added 15.8 MB), and a 1 MiB body of 524,000
// elements is written, not refused with "audit log cannot be written".
func TestAuditDoesNotAmplify(t *testing.T) {
	s := newTestServer(t)
	items := func(n int) string { return strings.TrimSuffix(strings.Repeat("0,", n), ",") }
	body := `{"data":{"items":[` + items(200000) + `]}}`
	if st, resp := s.do("PUT", "/v1/staging/data/big", s.root, body); st != 200 {
		t.Fatalf("write: %d %v", st, resp)
	}
	reader := s.token("staging", "rules:\n  - path: staging/big\n    capabilities: [read]\n")
	size := func() int64 {
		fi, err := os.Stat(s.audit)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	const reads = 3
	for range reads {
		if st, resp := s.do("GET", "/v1/staging/data/big", reader, ""); st != 200 {
			t.Fatalf("read: %d %v", st, resp)
		}
	}
	perRead := (size() - before) / reads
	t.Logf("each read of a %d-byte secret of 200,000 elements adds %d bytes to the audit log", len(body), perRead)
	if perRead > 16<<10 {
		t.Errorf("each read of a %d-byte secret adds %d bytes to the audit log", len(body), perRead)
	}

	huge := `{"data":{"items":[` + items(524000) + `]}}`
	before = size()
	st, resp := s.do("PUT", "/v1/staging/data/huge", s.root, huge)
	if st != 200 {
		t.Fatalf("a %d-byte body: %d %v", len(huge), st, resp)
	}
	if grown := size() - before; grown > int64(4*len(huge)) {
		t.Errorf("a %d-byte body added %d bytes to the audit log", len(huge), grown)
	}
}
