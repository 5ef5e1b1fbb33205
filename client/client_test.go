package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func noSleep(context.Context, time.Duration) error { return nil }

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		statuses  []int // answers in order; the last repeats
		wantCalls int
		wantErr   error
	}{
		{"ok", "GET", []int{200}, 1, nil},
		{"5xx then ok on a read", "GET", []int{500, 502, 200}, 3, nil},
		{"5xx forever on a read", "GET", []int{500}, 4, nil},
		{"4xx never retried", "GET", []int{404}, 1, ErrNotFound},
		{"403 never retried", "GET", []int{403}, 1, ErrPermissionDenied},
		{"sealed is not retried", "GET", []int{503}, 1, ErrSealed},
		{"write not retried on 5xx", "POST", []int{500, 200}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				if n >= len(tt.statuses) {
					n = len(tt.statuses) - 1
				}
				if r.Header.Get("X-Vault-Token") != "tok" {
					t.Errorf("request without the token")
				}
				w.WriteHeader(tt.statuses[n])
				w.Write([]byte(`{"errors":["boom"]}`))
			}))
			defer srv.Close()
			c, err := New(Config{Address: srv.URL, Token: "tok", Sleep: noSleep})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Do(context.Background(), tt.method, "dev/data/x", nil, nil)
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Fatalf("server saw %d calls, want %d", got, tt.wantCalls)
			}
			last := tt.statuses[len(tt.statuses)-1]
			if tt.wantCalls < len(tt.statuses) {
				last = tt.statuses[tt.wantCalls-1]
			}
			if last < 400 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var re *ResponseError
			if !errors.As(err, &re) || re.StatusCode != last {
				t.Fatalf("err = %v, want a ResponseError with status %d", err, last)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.wantErr)
			}
		})
	}
}

func TestConnectionErrorRetriedThenReported(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	var sleeps int
	c, _ := New(Config{Address: addr, MaxRetries: 2, Sleep: func(context.Context, time.Duration) error { sleeps++; return nil }})
	err := c.Do(context.Background(), "POST", "dev/data/x", map[string]any{"data": map[string]any{"k": "v"}}, nil)
	var ce *ConnectionError
	if !errors.As(err, &ce) || sleeps != 2 {
		t.Fatalf("err = %v after %d sleeps; want a ConnectionError after 2", err, sleeps)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := New(Config{Address: srv.URL, MaxRetries: 100, Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	if err := c.Do(ctx, "GET", "x", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// An error never carries the body of the request or of a non-JSON answer.
func TestErrorsHoldNoBodies(t *testing.T) {
	const secret = "hunter2-canary"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte("not json " + secret))
	}))
	defer srv.Close()
	c, _ := New(Config{Address: srv.URL, Sleep: noSleep})
	_, err := c.KV("dev").Put(context.Background(), "app/db", map[string]any{"password": secret}, nil)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
	s := &Secret{Env: "dev", Path: "app/db", Data: []byte(`{"port":"` + secret + `"}`)}
	var v struct{ Port int }
	if err := s.Decode(&v); err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(strings.ToLower(err.Error()), "port") {
		t.Fatalf("decode err = %v; want one naming the field and not the value", err)
	}
}

func TestNewRefusesBadAddress(t *testing.T) {
	for _, a := range []string{"127.0.0.1:8200", "ftp://x", "http://"} {
		if _, err := New(Config{Address: a}); err == nil {
			t.Errorf("New(%q) accepted it", a)
		}
	}
}

// KeepTokenAlive renews at half of the remaining life and stops when the
// token cannot be renewed further.
func TestKeepTokenAlive(t *testing.T) {
	var renewals atomic.Int32
	ttls := []int{600, 600, 600, 0} // lookup-self answers, in order
	var lookups atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/auth/token/lookup-self":
			n := int(lookups.Add(1)) - 1
			ttl := ttls[min(n, len(ttls)-1)]
			fmt.Fprintf(w, `{"data":{"ttl":%d,"renewable":true}}`, ttl)
		case "/v1/auth/token/renew-self":
			renewals.Add(1)
			w.Write([]byte(`{"auth":{"client_token":"tok","lease_duration":600,"renewable":true}}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	var slept []time.Duration
	c, _ := New(Config{Address: srv.URL, Token: "tok", Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	if err := c.KeepTokenAlive(context.Background()); err != nil {
		t.Fatalf("KeepTokenAlive: %v", err)
	}
	if renewals.Load() != 3 || len(slept) != 3 || slept[0] != 300*time.Second {
		t.Fatalf("%d renewals after sleeps %v; want 3, each after half the 600 s TTL", renewals.Load(), slept)
	}
}
