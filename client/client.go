// Package client is ward's Go SDK: the one way ward's CLI, and your Go
// services, talk to a ward server.
//
// Most callers need two calls:
//
//	c, err := client.New(client.DefaultConfig())     // WARD_ADDR, WARD_TOKEN or ~/.ward/token
//	s, err := c.Secret(ctx, "staging", "payments/db")
//	var db struct{ Host, Password string }
//	err = s.Decode(&db)
//
// A service that ward run --watch starts gets each secret's new version
// through WatchSecrets, which calls back with the value loaded again.
//
// Requests carry the caller's context. Connection errors and 5xx answers to
// requests that are safe to repeat are retried with exponential backoff;
// 4xx answers never are, nor is a server certificate that does not verify
// (ErrCertificate: retrying cannot fix it; Config.CACert can). Errors are *ResponseError values, which match
// ErrNotFound, ErrPermissionDenied and ErrSealed with errors.Is. No error
// ever includes a request or response body, since either may hold a secret.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MaxMFAPrompts is how many times a request asks Config.MFAPrompt for a
// code before the server's refusal stands.
const MaxMFAPrompts = 3

// DefaultAddress is where ward dev listens.
const DefaultAddress = "http://127.0.0.1:8200"

// Sentinel errors that a *ResponseError matches with errors.Is.
var (
	ErrNotFound         = errors.New("not found")
	ErrPermissionDenied = errors.New("permission denied")
	ErrSealed           = errors.New("ward is sealed")
	ErrNoToken          = errors.New("no ward token")
	// ErrCertificate matches a *ConnectionError whose cause is a server
	// certificate that does not verify: signed by an unknown authority
	// (set Config.CACert), for another host name, or expired.
	ErrCertificate = errors.New("the server's TLS certificate does not verify")
)

// Config configures a Client. The zero value of each optional field is
// documented beside it.
type Config struct {
	Address string // "" : DefaultAddress
	Token   string // "" : requests go without a token
	// CACert is a PEM file of the certificate authorities that sign the
	// server's certificate, for a server with a private CA or a self-signed
	// certificate; they are trusted beside the system's. "": the system's
	// only. Ignored when HTTPClient is set.
	CACert     string
	HTTPClient *http.Client // nil: a client with a 60 s timeout
	MaxRetries int          // 0: 3 retries; negative: none
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Sleep waits between retries; nil: a timer that honours ctx. Tests set it.
	Sleep func(ctx context.Context, d time.Duration) error
	// MFAPrompt, if set, is asked for a TOTP code when the server answers
	// that a request needs one (ErrMFARequired) and the request carried
	// none, or carried one MFAPrompt gave that the server refused (wrong,
	// or already used: a code works once); the request is then sent again
	// with the code, at most MaxMFAPrompts times. An error from MFAPrompt
	// ends the request with that error. nil: such answers are returned as
	// errors.
	MFAPrompt func(ctx context.Context, refusal *ResponseError) (string, error)
}

// TokenFile is where ward dev and ward login keep the token: ~/.ward/token,
// or $WARD_CONFIG_DIR/token.
func TokenFile() string { return TokenFileFromEnv(os.Getenv) }

// TokenFileFromEnv is TokenFile with the variables WARD_CONFIG_DIR and HOME
// read through getenv. "" when neither is set.
func TokenFileFromEnv(getenv func(string) string) string {
	if d := getenv("WARD_CONFIG_DIR"); d != "" {
		return filepath.Join(d, "token")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".ward", "token")
	}
	return ""
}

// DefaultConfig reads WARD_ADDR (or VAULT_ADDR), WARD_CACERT (or
// VAULT_CACERT), and the token from WARD_TOKEN or else TokenFile.
func DefaultConfig() Config { return ConfigFromEnv(os.Getenv) }

// ConfigFromEnv is DefaultConfig with the variables read through getenv,
// for callers that keep their own environment (tests, the ward CLI).
func ConfigFromEnv(getenv func(string) string) Config {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	c := Config{Address: first("WARD_ADDR", "VAULT_ADDR"), CACert: first("WARD_CACERT", "VAULT_CACERT")}
	c.Token = getenv("WARD_TOKEN")
	if c.Token == "" {
		if f := TokenFileFromEnv(getenv); f != "" {
			if b, err := os.ReadFile(f); err == nil {
				c.Token = strings.TrimSpace(string(b))
			}
		}
	}
	return c
}

// Client talks to one ward server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	u, err := url.Parse(strings.TrimRight(cfg.Address, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ward address %q is not an http:// or https:// URL", cfg.Address)
	}
	if cfg.HTTPClient == nil {
		hc, err := httpClient(cfg.CACert)
		if err != nil {
			return nil, err
		}
		cfg.HTTPClient = hc
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 3
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 2 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	return &Client{cfg: cfg, base: u}, nil
}

// Address is the server's address.
func (c *Client) Address() string { return c.base.String() }

// Token is the token requests carry.
func (c *Client) Token() string { return c.cfg.Token }

// WithToken returns a copy of c that sends token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.cfg.Token = token
	return &cp
}

// ResponseError is a server's error answer.
type ResponseError struct {
	Method     string
	Path       string // the API path, e.g. /v1/staging/data/payments/db
	StatusCode int
	Errors     []string // the server's messages, which never hold values
	RequestID  string
	// MFARequired: the server would take this request with a valid TOTP
	// code (see WithMFACode); it also makes the error match ErrMFARequired.
	MFARequired bool
}

func (e *ResponseError) Error() string {
	msg := strings.Join(e.Errors, "; ")
	if msg == "" {
		msg = strings.ToLower(http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("%s %s: %d: %s", e.Method, e.Path, e.StatusCode, msg)
}

// Is matches the sentinel errors by status code.
func (e *ResponseError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrPermissionDenied:
		return e.StatusCode == http.StatusForbidden
	case ErrSealed:
		return e.StatusCode == http.StatusServiceUnavailable
	case ErrMFARequired:
		return e.MFARequired
	}
	return false
}

// ConnectionError is a failure to reach the server at all.
type ConnectionError struct {
	Address string
	Err     error
}

func (e *ConnectionError) Error() string {
	return fmt.Sprintf("cannot reach ward at %s: %v", e.Address, e.Err)
}
func (e *ConnectionError) Unwrap() error { return e.Err }

// Is makes a failure to verify the server's certificate match ErrCertificate.
func (e *ConnectionError) Is(target error) bool {
	return target == ErrCertificate && certificateError(e.Err)
}

// Do sends one request to path (relative to /v1/, e.g.
// "staging/data/payments/db") with in as its JSON body (nil: none), and
// decodes a JSON answer into out (nil: discard). It is the raw access the
// typed methods are built on.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, method, path, nil, in, out, nil)
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, header http.Header) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encoding the request to %s: %w", path, err)
		}
	}
	u := *c.base
	u.Path = c.base.Path + "/v1/" + strings.TrimPrefix(path, "/")
	u.RawQuery = query.Encode()
	retriable := method == http.MethodGet || method == "LIST" || method == http.MethodHead
	prompts := 0 // codes asked of MFAPrompt; the code in ctx is theirs when > 0
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, u.String(), body, header)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if attempt < c.cfg.MaxRetries && !certificateError(err) {
				if serr := c.cfg.Sleep(ctx, c.backoff(attempt)); serr != nil {
					return serr
				}
				continue
			}
			return &ConnectionError{Address: c.base.String(), Err: err}
		}
		rerr := c.finish(resp, method, u.Path, out)
		if rerr == nil {
			return nil
		}
		var re *ResponseError
		if errors.As(rerr, &re) && re.MFARequired && c.mayPrompt(ctx, prompts) {
			code, perr := c.cfg.MFAPrompt(ctx, re)
			if perr != nil {
				return perr
			}
			ctx = WithMFACode(ctx, code)
			prompts++
			attempt--
			continue
		}
		if errors.As(rerr, &re) && re.StatusCode >= 500 && retriable && attempt < c.cfg.MaxRetries && re.StatusCode != http.StatusServiceUnavailable && re.StatusCode != http.StatusNotImplemented {
			if serr := c.cfg.Sleep(ctx, c.backoff(attempt)); serr != nil {
				return serr
			}
			continue
		}
		return rerr
	}
}

func (c *Client) send(ctx context.Context, method, u string, body []byte, header http.Header) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.Token != "" {
		req.Header.Set("X-Vault-Token", c.cfg.Token)
	}
	if code := mfaCode(ctx); code != "" {
		req.Header.Set(mfaHeader, code)
	}
	return c.cfg.HTTPClient.Do(req)
}

const maxResponseBytes = 64 << 20

func (c *Client) finish(resp *http.Response, method, path string, out any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &ConnectionError{Address: c.base.String(), Err: err}
	}
	if resp.StatusCode >= 400 {
		re := &ResponseError{Method: method, Path: path, StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Ward-Request-Id"),
			MFARequired: resp.Header.Get(mfaRequiredHeader) == "required"}
		var eb struct {
			Errors []string `json:"errors"`
		}
		if json.Unmarshal(b, &eb) == nil {
			re.Errors = eb.Errors
		}
		return re
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the server's answer is not the JSON expected", method, path)
	}
	return nil
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.MinBackoff << attempt
	if d > c.cfg.MaxBackoff || d <= 0 {
		d = c.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// envelope is Vault's answer shape.
type envelope[T any] struct {
	RequestID string `json:"request_id"`
	Data      T      `json:"data"`
	Auth      *Auth  `json:"auth"`
}
