package detect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var hookSecret = []byte("whsec-test-0123456789")

// fakeAfter fires at once and records the waits asked for.
type fakeAfter struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeAfter) after(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

// newHook starts a webhook whose outcomes arrive on the returned channel.
func newHook(t *testing.T, url string, cfg WebhookConfig) (*Webhook, chan error, *fakeAfter) {
	t.Helper()
	fa := &fakeAfter{}
	done := make(chan error, 16)
	cfg.URL, cfg.Secret, cfg.After = url, hookSecret, fa.after
	cfg.Done = func(_ Alert, err error) { done <- err }
	w, err := NewWebhook(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w, done, fa
}

func testAlert() Alert {
	a := Alert{Time: start, Detector: DetFirstRead, Identity: "user:alice", Paths: []string{"prod/app/db"}, Subject: "prod/app/db", Summary: "s"}
	a.setID()
	return a
}

func wait(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery outcome within 10s")
		return nil
	}
}

// TestWebhookSigned is a receiver that checks the signature itself, with
// its own HMAC, before it accepts the alert.
func TestWebhookSigned(t *testing.T) {
	got := make(chan Alert, 1)
	now := time.Unix(1_800_000_000, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get(TimestampHeader)
		m := hmac.New(sha256.New, hookSecret)
		m.Write([]byte(ts + "." + string(body)))
		if r.Header.Get(SignatureHeader) != "sha256="+hex.EncodeToString(m.Sum(nil)) || ts != "1800000000" {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if err := VerifySignature(hookSecret, r.Header.Get(SignatureHeader), ts, body, now.Add(time.Minute), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var msg struct {
			Type  string `json:"type"`
			Alert Alert  `json:"alert"`
		}
		if json.Unmarshal(body, &msg) != nil || msg.Type != "ward.alert" || r.Header.Get(DeliveryHeader) != msg.Alert.ID {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		got <- msg.Alert
	}))
	defer srv.Close()
	w, done, _ := newHook(t, srv.URL, WebhookConfig{Now: func() time.Time { return now }})
	a := testAlert()
	if !w.Send(a) {
		t.Fatal("Send refused")
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("delivery failed: %v", err)
	}
	if r := <-got; r.ID != a.ID || r.Identity != a.Identity || r.Paths[0] != "prod/app/db" {
		t.Errorf("receiver got %+v", r)
	}
	if s := w.Stats(); s.Delivered != 1 || s.Attempts != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestVerifySignatureRefuses(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a":1}`)
	sig := Sign(hookSecret, "1800000000", body)
	for name, err := range map[string]error{
		"other body":   VerifySignature(hookSecret, sig, "1800000000", []byte(`{"a":2}`), now, time.Minute),
		"other secret": VerifySignature([]byte("x"), sig, "1800000000", body, now, time.Minute),
		"old":          VerifySignature(hookSecret, sig, "1800000000", body, now.Add(time.Hour), time.Minute),
		"bad time":     VerifySignature(hookSecret, sig, "soon", body, now, time.Minute),
	} {
		if !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
	if err := VerifySignature(hookSecret, sig, "1800000000", body, now, time.Minute); err != nil {
		t.Errorf("good signature refused: %v", err)
	}
}

// TestWebhookRetries500 answers 500 twice, then 200: three attempts, with
// the backoff doubling between them.
func TestWebhookRetries500(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	w, done, fa := newHook(t, srv.URL, WebhookConfig{Backoff: time.Second})
	w.Send(testAlert())
	if err := wait(t, done); err != nil {
		t.Fatalf("delivery failed: %v", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d attempts, want 3", calls.Load())
	}
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if len(fa.waits) != 2 || fa.waits[0] != time.Second || fa.waits[1] != 2*time.Second {
		t.Errorf("waits %v, want [1s 2s]", fa.waits)
	}
}

// TestWebhookHangs: an endpoint that never answers costs each attempt its
// timeout, the alert is given up after the attempts, and Send never waits.
func TestWebhookHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w, done, _ := newHook(t, srv.URL+"/hook?token=URLSECRET", WebhookConfig{Timeout: 100 * time.Millisecond, Attempts: 2, Queue: 1})
	began := time.Now()
	for range 5 {
		w.Send(testAlert()) // one in flight, one queued, three dropped
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("Send blocked for %s", d)
	}
	err := wait(t, done)
	if err == nil || !strings.Contains(err.Error(), "attempt 2 of 2") {
		t.Fatalf("want a timeout failure, got %v", err)
	}
	s := w.Stats()
	if s.Failed < 1 || s.Dropped < 2 {
		t.Errorf("stats %+v: want a failure and drops", s)
	}
	if strings.Contains(s.LastError, "URLSECRET") || strings.Contains(s.LastError, srv.URL) {
		t.Errorf("last error quotes the URL: %q", s.LastError)
	}
}

// TestWebhookRedirect: a redirect is not followed (the target never hears
// of the alert) and not retried.
func TestWebhookRedirect(t *testing.T) {
	var reached atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer target.Close()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	w, done, _ := newHook(t, srv.URL, WebhookConfig{})
	w.Send(testAlert())
	err := wait(t, done)
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("want a redirect failure, got %v", err)
	}
	if reached.Load() != 0 || calls.Load() != 1 {
		t.Errorf("target reached %d times, endpoint called %d times; want 0 and 1", reached.Load(), calls.Load())
	}
}

func TestNewWebhookRefuses(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "not a url"} {
		if _, err := NewWebhook(WebhookConfig{URL: u, Secret: hookSecret}); !errors.Is(err, ErrWebhookURL) {
			t.Errorf("URL %q: %v", u, err)
		}
	}
	if _, err := NewWebhook(WebhookConfig{URL: "https://example.com"}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
}
