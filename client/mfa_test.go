package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// mfaServer answers 403 with the MFA header unless the request carries
// code in X-Ward-MFA; it records the codes it saw.
func mfaServer(t *testing.T, code string) (*Client, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Ward-MFA"))
		mu.Unlock()
		if r.Header.Get("X-Ward-MFA") != code {
			w.Header().Set("X-Ward-MFA-Required", "required")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":["permission denied: policy p requires MFA"]}`))
			return
		}
		w.Write([]byte(`{"data":{}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Address: srv.URL, Token: "ward_x", Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	return c, &seen
}

func TestWithMFACode(t *testing.T) {
	c, seen := mfaServer(t, "123456")
	err := c.Do(context.Background(), "GET", "staging/data/a", nil, nil)
	var re *ResponseError
	if !errors.Is(err, ErrMFARequired) || !errors.As(err, &re) || !re.MFARequired || !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("without a code: %v", err)
	}
	if err := c.Do(WithMFACode(context.Background(), "123456"), "GET", "staging/data/a", nil, nil); err != nil {
		t.Fatalf("with the code: %v", err)
	}
	if len(*seen) != 2 || (*seen)[0] != "" || (*seen)[1] != "123456" {
		t.Fatalf("codes sent: %q", *seen)
	}
}

func TestMFAPromptAsksAgainAfterARefusedCode(t *testing.T) {
	tests := []struct {
		name       string
		answers    []string
		promptErr  error
		wantErr    error
		wantPrompt int
		wantSent   []string
	}{
		{"right code", []string{"123456"}, nil, nil, 1, []string{"", "123456"}},
		{"a used code, then the next", []string{"000000", "123456"}, nil, nil, 2, []string{"", "000000", "123456"}},
		{"refused codes, at most MaxMFAPrompts", []string{"000000"}, nil, ErrMFARequired, MaxMFAPrompts, []string{"", "000000", "000000", "000000"}},
		{"prompt fails", []string{""}, errors.New("no terminal"), nil, 1, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := mfaServer(t, "123456")
			prompts := 0
			c.cfg.MFAPrompt = func(_ context.Context, re *ResponseError) (string, error) {
				prompts++
				if !re.MFARequired {
					t.Error("prompt called for a refusal that does not ask for MFA")
				}
				return tt.answers[min(prompts, len(tt.answers))-1], tt.promptErr
			}
			err := c.Do(context.Background(), "POST", "prod/destroy/a", map[string]any{"versions": []int{1}}, nil)
			switch {
			case tt.promptErr != nil:
				if !errors.Is(err, tt.promptErr) {
					t.Fatalf("err = %v; want the prompt's", err)
				}
			case !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil):
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if prompts != tt.wantPrompt || len(*seen) != len(tt.wantSent) {
				t.Fatalf("prompts %d, sent %q", prompts, *seen)
			}
			for i := range tt.wantSent {
				if (*seen)[i] != tt.wantSent[i] {
					t.Fatalf("sent %q; want %q", *seen, tt.wantSent)
				}
			}
		})
	}
}

// A fetch with secrets denied for want of a code is made once more with
// the code MFAPrompt gives.
func TestFetchAsksForMFA(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Ward-MFA"))
		mu.Unlock()
		if r.Header.Get("X-Ward-MFA") == "123456" {
			w.Write([]byte(`{"data":{"secrets":[{"path":"a","status":"ok","data":{"k":"v"}},{"path":"b","status":"ok","data":{}}]}}`))
			return
		}
		w.Write([]byte(`{"data":{"secrets":[{"path":"a","status":"denied","error":"requires MFA","mfa_required":true},{"path":"b","status":"ok","data":{}}]}}`))
	}))
	defer srv.Close()
	tests := []struct {
		name   string
		prompt func(context.Context, *ResponseError) (string, error)
		want   string
		sent   int
	}{
		{"no prompt", nil, "denied", 1},
		{"prompt gives a code", func(context.Context, *ResponseError) (string, error) { return "123456", nil }, "ok", 2},
		{"prompt fails", func(context.Context, *ResponseError) (string, error) { return "", errors.New("no terminal") }, "denied", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			c, _ := New(Config{Address: srv.URL, Token: "ward_x", MFAPrompt: tt.prompt})
			rs, err := c.Fetch(context.Background(), "dev", []string{"a", "b"})
			if err != nil {
				t.Fatal(err)
			}
			if rs[0].Status != tt.want || len(seen) != tt.sent {
				t.Fatalf("status %s after %d requests; want %s after %d", rs[0].Status, len(seen), tt.want, tt.sent)
			}
		})
	}
}
