package detect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The headers of a webhook delivery. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), where
// timestamp is the X-Ward-Timestamp header (Unix seconds): a receiver checks
// it with VerifySignature and refuses old timestamps, so a captured
// delivery cannot be replayed later.
const (
	SignatureHeader = "X-Ward-Signature"
	TimestampHeader = "X-Ward-Timestamp"
	DeliveryHeader  = "X-Ward-Delivery" // the alert's id
)

// Errors of NewWebhook and VerifySignature.
var (
	ErrWebhookURL = errors.New("webhook URL must be http:// or https:// with a host")
	ErrNoSecret   = errors.New("webhook secret is empty")
	ErrSignature  = errors.New("webhook signature does not match")
)

// WebhookConfig configures a Webhook. URL and Secret are required; every
// other field has a working default.
type WebhookConfig struct {
	URL    string // where alerts are POSTed; it may hold a token, so it is never logged
	Secret []byte // signs each delivery
	// Timeout bounds each attempt, connection to last byte. Default 5s.
	Timeout time.Duration
	// Attempts is how many times one alert is tried. Default 5.
	Attempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each one, up to MaxBackoff. Defaults 1s and 1m.
	Backoff, MaxBackoff time.Duration
	// Queue is how many alerts may wait for delivery; past it, new ones
	// are dropped and counted. Default 256.
	Queue int
	// Client sends the requests. nil: one with Timeout that never follows
	// a redirect. A given client's redirects are refused all the same.
	Client *http.Client
	// Now stamps deliveries; After waits between attempts. Defaults:
	// time.Now and time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Done, if set, is called from the delivery goroutine with each
	// alert's outcome: nil once delivered, else why it was given up.
	Done func(a Alert, err error)
}

// WebhookStats counts deliveries.
type WebhookStats struct {
	Delivered int64  `json:"delivered"`
	Failed    int64  `json:"failed"`  // given up after the last attempt, or refused for good
	Dropped   int64  `json:"dropped"` // the queue was full
	Attempts  int64  `json:"attempts"`
	LastError string `json:"last_error,omitempty"` // without the URL
}

// Webhook delivers alerts as signed JSON POSTs from one goroutine, so that
// Send never waits on the network. Close stops it.
type Webhook struct {
	cfg    WebhookConfig
	client *http.Client
	queue  chan Alert
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	delivered, failed, dropped, attempts atomic.Int64

	mu      sync.Mutex
	lastErr string // guarded by mu
}

// NewWebhook checks cfg and starts the delivery goroutine.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ErrWebhookURL
	}
	if len(cfg.Secret) == 0 {
		return nil, ErrNoSecret
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 5*time.Second)
	def(&cfg.Backoff, time.Second)
	def(&cfg.MaxBackoff, time.Minute)
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	client := &http.Client{Timeout: cfg.Timeout}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w := &Webhook{cfg: cfg, client: client, queue: make(chan Alert, cfg.Queue), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// Send queues a for delivery and returns at once; false if the queue was
// full (the alert is dropped and counted) or the webhook is closed.
func (w *Webhook) Send(a Alert) bool {
	select {
	case <-w.stop:
		return false
	default:
	}
	select {
	case w.queue <- a:
		return true
	default:
		w.dropped.Add(1)
		return false
	}
}

// Close stops delivery: an attempt under way is cancelled and alerts still
// queued are dropped. It returns once the goroutine is gone.
func (w *Webhook) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// Stats returns the delivery counters.
func (w *Webhook) Stats() WebhookStats {
	w.mu.Lock()
	last := w.lastErr
	w.mu.Unlock()
	return WebhookStats{
		Delivered: w.delivered.Load(), Failed: w.failed.Load(), Dropped: w.dropped.Load(),
		Attempts: w.attempts.Load(), LastError: last,
	}
}

func (w *Webhook) run() {
	defer close(w.done)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-w.stop; cancel() }()
	for {
		select {
		case <-w.stop:
			w.dropped.Add(int64(len(w.queue)))
			return
		case a := <-w.queue:
			w.deliver(ctx, a)
		}
	}
}

// deliver tries one alert until it is accepted, refused for good, or out of
// attempts.
func (w *Webhook) deliver(ctx context.Context, a Alert) {
	body, err := json.Marshal(struct {
		Type  string `json:"type"`
		Alert Alert  `json:"alert"`
	}{"ward.alert", a})
	if err != nil {
		w.fail(a, err)
		return
	}
	wait := w.cfg.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, a.ID, body)
		if err == nil {
			w.delivered.Add(1)
			if w.cfg.Done != nil {
				w.cfg.Done(a, nil)
			}
			return
		}
		if !retry || attempt == w.cfg.Attempts || ctx.Err() != nil {
			w.fail(a, fmt.Errorf("alert %s: %w (attempt %d of %d)", a.ID, err, attempt, w.cfg.Attempts))
			return
		}
		select {
		case <-w.cfg.After(wait):
		case <-ctx.Done():
			w.fail(a, fmt.Errorf("alert %s: stopped before attempt %d", a.ID, attempt+1))
			return
		}
		wait = min(2*wait, w.cfg.MaxBackoff)
	}
}

func (w *Webhook) fail(a Alert, err error) {
	w.failed.Add(1)
	w.mu.Lock()
	w.lastErr = err.Error()
	w.mu.Unlock()
	if w.cfg.Done != nil {
		w.cfg.Done(a, err)
	}
}

// post makes one attempt. It reports whether a failure is worth retrying:
// a network error, a timeout, 408, 429 or 5xx are; a redirect or another
// 4xx are not.
func (w *Webhook) post(ctx context.Context, id string, body []byte) (retry bool, err error) {
	w.attempts.Add(1)
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("cannot build the request")
	}
	ts := strconv.FormatInt(w.cfg.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ward-alerts")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(w.cfg.Secret, ts, body))
	req.Header.Set(DeliveryHeader, id)
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error repeats the URL, which may hold a token
		}
		return true, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return false, nil
	case s >= 300 && s < 400:
		return false, fmt.Errorf("the endpoint answered %d, a redirect, which ward does not follow; give the final URL", s)
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return true, fmt.Errorf("the endpoint answered %d", s)
	default:
		return false, fmt.Errorf("the endpoint refused the delivery with %d", s)
	}
}

// Sign returns the X-Ward-Signature value of a delivery.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a delivery as a receiver should: the signature
// matches the body under secret, and the timestamp is within maxAge of now.
func VerifySignature(secret []byte, signature, timestamp string, body []byte, now time.Time, maxAge time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: the timestamp is not Unix seconds", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxAge || d < -maxAge {
		return fmt.Errorf("%w: the timestamp is %s away from now", ErrSignature, d.Round(time.Second))
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body))) {
		return ErrSignature
	}
	return nil
}
