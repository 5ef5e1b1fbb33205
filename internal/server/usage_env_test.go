package server

import "testing"

// TestUsageAfterDeletingEnv: a read in an environment, then the
// environment deleted at once, must not make usage reads in the other
// environments answer "stored data failed authentication".
func TestUsageAfterDeletingEnv(t *testing.T) {
	s := newTestServer(t)
	for _, env := range []string{"staging", "prod"} {
		if st, body := s.do("PUT", "/v1/"+env+"/data/app/key", s.root, `{"data":{"k":"v"}}`); st != 200 {
			t.Fatalf("write: %d %v", st, body)
		}
		if st, body := s.do("GET", "/v1/"+env+"/data/app/key", s.root, ""); st != 200 {
			t.Fatalf("read: %d %v", st, body)
		}
	}
	if st, body := s.do("DELETE", "/v1/sys/ward/envs/staging", s.root, ""); st != 204 {
		t.Fatalf("delete staging: %d %v", st, body)
	}
	st, body := s.do("GET", "/v1/sys/ward/usage/prod/app/key", s.root, "")
	if st != 200 {
		t.Fatalf("usage in prod after deleting staging: %d %v", st, body)
	}
	if data, _ := body["data"].(map[string]any); data == nil || data["last_reader"] != "root" {
		t.Errorf("prod's read was lost: %v", body)
	}
}
