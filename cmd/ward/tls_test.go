package main

import (
	"bytes"
	"strings"
	"testing"
)

// A server whose certificate a private CA signed: without the CA the
// error says to give it (not to start ward dev); with --ca-cert or
// WARD_CACERT the command works.
func TestPrivateCA(t *testing.T) {
	t.Parallel()
	srv, caFile := testServerTLS(t)
	env := []string{"WARD_ADDR=" + srv.Address(), "WARD_TOKEN=" + srv.Token()}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		code int
		want []string
	}{
		{"no CA", []string{"env", "list"}, nil, 1, []string{
			"certificate signed by unknown authority",
			"hint: the server's certificate is not signed by a CA this machine trusts: give its CA's PEM file with --ca-cert or WARD_CACERT",
		}},
		{"--ca-cert", []string{"--ca-cert", caFile, "env", "list"}, nil, 0, nil},
		{"WARD_CACERT", []string{"env", "list"}, []string{"WARD_CACERT=" + caFile}, 0, nil},
		{"--address over WARD_ADDR", []string{"--address", srv.Address(), "--ca-cert", caFile, "env", "list"}, []string{"WARD_ADDR=https://127.0.0.1:1"}, 0, nil},
		{"a CA file that is not PEM", []string{"--ca-cert", "tls_test.go", "env", "list"}, nil, 2, []string{"holds no PEM certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runCLI(tc.args, nil, &out, &errb, append(append([]string{}, env...), tc.env...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr %q lacks %q", errb.String(), w)
				}
			}
			if strings.Contains(errb.String(), "ward dev") {
				t.Errorf("a certificate problem is sent to ward dev: %s", errb.String())
			}
			if code == 0 && !strings.Contains(out.String(), "staging") {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
}
