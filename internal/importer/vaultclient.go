package importer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// maxVaultResponse bounds one response body read from a source server.
const maxVaultResponse = 32 << 20

// VaultClient reads from the HTTP API of a HashiCorp Vault or OpenBao
// server: GET /v1/PATH (with ?list=true to list) and the token in
// X-Vault-Token. It is the little of Vault's API an import needs, on plain
// net/http, so that ward does not carry Vault's client library (and its
// start-up cost) into every command.
//
// The zero value is not usable: set Addr and Token. A nil HTTP means a
// client on a clone of http.DefaultTransport (so HTTPS_PROXY and the like
// apply). Retries is how many times a request answered 412, 429 or a 5xx
// other than 501, or failed to connect, is sent again; RetryWait the pause
// before the first retry (doubled each time; 0 means 1 s, as Vault's own
// client waits). A VaultClient is safe for concurrent use.
type VaultClient struct {
	Addr      string // for example https://vault.example.com:8200
	Token     string
	HTTP      *http.Client
	Retries   int
	RetryWait time.Duration
}

// VaultError is a source server's answer other than success or 404: its
// status and the messages it gave in "errors". It never holds a value:
// ward sends none, and only a server's error messages are kept.
type VaultError struct {
	StatusCode int
	Errors     []string
}

func (e *VaultError) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("the server answered %d", e.StatusCode)
	}
	return fmt.Sprintf("the server answered %d: %s", e.StatusCode, strings.Join(e.Errors, "; "))
}

// VaultHTTPClient returns an HTTP client for a source server that trusts the
// CA certificates in the PEM file caFile, or the system's roots when caFile
// is empty.
func VaultHTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}, nil
}

// defaultVaultHTTP is the client of a VaultClient whose HTTP is nil: one,
// so that its connections are reused.
var defaultVaultHTTP = sync.OnceValues(func() (*http.Client, error) { return VaultHTTPClient("") })

// get reads the "data" of the response at path into out. found is false,
// with a nil error, for a 404 without data (nothing at path). A 404 that
// carries data (KV v2's answer for a deleted version) is decoded.
func (c *VaultClient) get(ctx context.Context, path string, list bool, out any) (found bool, err error) {
	base, err := url.Parse(c.Addr)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return false, fmt.Errorf("the source address %q is not an http:// or https:// URL", c.Addr)
	}
	u := base.JoinPath("v1", path)
	if list {
		u.RawQuery = url.Values{"list": {"true"}}.Encode()
	}
	hc := c.HTTP
	if hc == nil {
		if hc, err = defaultVaultHTTP(); err != nil {
			return false, err
		}
	}
	wait := c.RetryWait
	if wait <= 0 {
		wait = time.Second
	}
	for attempt := 0; ; attempt++ {
		status, body, err := c.do(ctx, hc, u.String())
		if (err == nil && !retryStatus(status)) || attempt >= c.Retries || ctx.Err() != nil {
			if err != nil {
				return false, err
			}
			return decodeVault(status, body, out)
		}
		t := time.NewTimer(wait << attempt)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

func (c *VaultClient) do(ctx context.Context, hc *http.Client, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Vault-Token", c.Token)
	req.Header.Set("X-Vault-Request", "true")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVaultResponse+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxVaultResponse {
		return 0, nil, fmt.Errorf("the server's answer is larger than %d MiB", maxVaultResponse>>20)
	}
	return resp.StatusCode, body, nil
}

// retryStatus reports whether Vault's own client would send a request
// answered with status again.
func retryStatus(status int) bool {
	return status == http.StatusPreconditionFailed || status == http.StatusTooManyRequests ||
		(status >= 500 && status != http.StatusNotImplemented)
}

func decodeVault(status int, body []byte, out any) (bool, error) {
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []string        `json:"errors"`
	}
	parseErr := json.Unmarshal(body, &env)
	switch {
	case status == http.StatusNotFound:
		if parseErr != nil || len(env.Data) == 0 || string(env.Data) == "null" {
			return false, nil
		}
	case status < 200 || status > 299:
		return false, &VaultError{StatusCode: status, Errors: boundErrors(env.Errors)}
	case status == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0:
		return false, nil
	case parseErr != nil:
		return false, errors.New("the server's answer is not a JSON object")
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return false, nil
	}
	d := json.NewDecoder(bytes.NewReader(env.Data))
	d.UseNumber()
	if err := d.Decode(out); err != nil {
		return false, errors.New("the server's answer has a malformed data object")
	}
	return true, nil
}

// boundErrors keeps the first few of a server's error messages, each cut
// short, so that a hostile server cannot fill a terminal through them.
func boundErrors(errs []string) []string {
	const most, longest = 5, 300
	out := errs[:min(len(errs), most)]
	for i, e := range out {
		if len(e) > longest {
			out[i] = strings.ToValidUTF8(e[:longest], "") + "..."
		}
	}
	return out
}
