package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// FetchResult is one secret of a batched fetch. Status is "ok" (Data and
// Metadata are set), "not_found", "deleted" (the current version is deleted
// or destroyed), "denied" (the caller's policy does not allow reading it) or
// "error" (Error says why, e.g. an invalid path).
type FetchResult struct {
	Path           string            `json:"path"`
	Status         string            `json:"status"`
	Error          string            `json:"error"`
	Data           json.RawMessage   `json:"data"`
	Metadata       VersionMetadata   `json:"metadata"`
	CustomMetadata map[string]string `json:"custom_metadata"`
	// MFARequired: denied for want of a TOTP code (see WithMFACode); one
	// code serves every secret of a fetch.
	MFARequired bool `json:"mfa_required"`
	// TypeProblems lists the rules Data breaks of the type FetchTyped asked
	// it be checked against; empty when it conforms.
	TypeProblems []TypeProblem `json:"type_problems"`
}

// TypeProblem is one rule of a type a secret breaks. It never holds a value.
type TypeProblem struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Fetch reads the current version of each secret at paths in env in one
// request, one result per path, in order. Each secret is checked against
// the caller's policy on its own: a missing or denied secret is a result,
// not an error. When some are denied for want of a TOTP code and
// Config.MFAPrompt is set, the fetch is made once more with a code.
func (c *Client) Fetch(ctx context.Context, env string, paths []string) ([]FetchResult, error) {
	return c.FetchTyped(ctx, env, paths, nil)
}

// FetchTyped is Fetch that also has the server check each secret named in
// types (path to type name) against that type, reporting the rules it breaks
// in TypeProblems.
func (c *Client) FetchTyped(ctx context.Context, env string, paths []string, types map[string]string) ([]FetchResult, error) {
	r, err := c.FetchIn(ctx, env, paths, types)
	return r.Secrets, err
}

// Fetched is the answer to a fetch: the secrets, and whether their
// environment is production as the server judges it (nil from a server
// that does not say).
type Fetched struct {
	Secrets    []FetchResult `json:"secrets"`
	Production *bool         `json:"production"`
}

// FetchIn is FetchTyped that also returns what the server says of the
// environment.
func (c *Client) FetchIn(ctx context.Context, env string, paths []string, types map[string]string) (Fetched, error) {
	var out envelope[Fetched]
	body := map[string]any{"paths": paths}
	if len(types) > 0 {
		body["types"] = types
	}
	path := "sys/ward/fetch/" + escapePath(env)
	if err := c.do(ctx, http.MethodPost, path, nil, body, &out, nil); err != nil {
		return Fetched{}, err
	}
	for prompts := 0; ; prompts++ {
		var ok bool
		if ctx, ok = c.fetchMFA(ctx, path, out.Data.Secrets, prompts); !ok {
			break
		}
		out.Data = Fetched{}
		if err := c.do(ctx, http.MethodPost, path, nil, body, &out, nil); err != nil {
			return Fetched{}, err
		}
	}
	return out.Data, nil
}

// Fingerprints returns a fingerprint set (ward's known-secret format) of
// every secret the caller may read in env: what `ward scan --known` matches
// against to find them in logs and artifacts without holding their values.
func (c *Client) Fingerprints(ctx context.Context, env string) ([]byte, error) {
	set, _, err := c.FingerprintsIn(ctx, env)
	return set, err
}

// FingerprintsIn is Fingerprints that also returns whether env is
// production as the server judges it (nil from a server that does not say).
func (c *Client) FingerprintsIn(ctx context.Context, env string) ([]byte, *bool, error) {
	var out envelope[struct {
		Set        string `json:"set"`
		Production *bool  `json:"production"`
	}]
	if err := c.do(ctx, http.MethodPost, "sys/ward/fingerprints/"+escapePath(env), nil, map[string]any{}, &out, nil); err != nil {
		return nil, nil, err
	}
	return []byte(out.Data.Set), out.Data.Production, nil
}
