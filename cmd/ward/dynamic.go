package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward/client"
	"github.com/wardhq/ward/internal/manifest"
)

// A manifest entry whose from is database/creds/ROLE names a dynamic
// credential: ward run asks the environment's database engine for a new
// user for the job (fields username and password), renews its lease while
// the job runs and revokes it when the job ends. ward check gets one and
// revokes it at once, which proves the role exists, the token may use it
// and the database answers, and leaves no user behind.
const dynamicPrefix = "database/creds/"

func isDynamic(path string) bool { return strings.HasPrefix(path, dynamicPrefix) }

// jobCreds are the dynamic credentials a job holds: their leases, the
// client that renews and revokes them, and done, which ends the CI login
// token (if ward logged in), after the leases.
type jobCreds struct {
	cl     *client.Client
	leases []jobLease
	done   func()
	// production is whether the environment is production, as the server
	// judged it when it answered the fetch (nil from one that does not say).
	production *bool
}

type jobLease struct {
	path string // the manifest's from
	id   string
	ttl  time.Duration
}

// issueCreds fills fetched with a new user for each dynamic path. A
// refusal is the secret's status (denied, not found, an error that names
// the cause), as for a static secret.
func issueCreds(ctx context.Context, cl *client.Client, env string, paths []string, fetched map[string]manifest.Fetched, jc *jobCreds) {
	for _, p := range paths {
		c, err := cl.DatabaseCreds(ctx, env, strings.TrimPrefix(p, dynamicPrefix))
		if err != nil {
			fetched[p] = manifest.Fetched{Status: credsStatus(err), Error: credsError(err)}
			continue
		}
		data, _ := json.Marshal(map[string]string{"username": c.Username, "password": c.Password})
		c.Password = ""
		fetched[p] = manifest.Fetched{Status: manifest.StatusOK, Data: data}
		jc.leases = append(jc.leases, jobLease{path: p, id: c.LeaseID, ttl: c.LeaseDuration})
	}
}

func credsStatus(err error) manifest.FetchStatus {
	switch {
	case errors.Is(err, client.ErrPermissionDenied):
		return manifest.StatusDenied
	case errors.Is(err, client.ErrNotFound):
		return manifest.StatusNotFound
	}
	return manifest.StatusError
}

func credsError(err error) string {
	var re *client.ResponseError
	if errors.As(err, &re) && len(re.Errors) > 0 {
		return strings.Join(re.Errors, "; ")
	}
	return err.Error()
}

// keepAlive renews each lease when half of its time is gone, until stop
// is called. A renewal that fails is reported on stderr and tried again at
// half of what is left; the lease still ends at its TTL if ward dies.
func (jc *jobCreds) keepAlive(ctx context.Context, g *globals) (stop func()) {
	if jc == nil || len(jc.leases) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, l := range jc.leases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			left := l.ttl
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(max(left/2, time.Second)):
				}
				ttl, _, err := jc.cl.RenewLease(ctx, l.id, 0)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "ward: warning: renewing the lease of %s failed: %v\n", l.path, err)
					left /= 2
					continue
				}
				left = ttl
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// revoke ends every lease (the database users are dropped), then the CI
// login token. A failure is reported: the server keeps the lease and it
// ends at its TTL.
func (jc *jobCreds) revoke(ctx context.Context, g *globals) {
	if jc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, l := range jc.leases {
		if err := jc.cl.RevokeLease(ctx, l.id); err != nil {
			fmt.Fprintf(g.stderr, "ward: warning: revoking the lease of %s failed (it ends at its TTL): %v\n", l.path, err)
		}
	}
	jc.leases = nil
	if jc.done != nil {
		jc.done()
	}
}

// splitDynamic returns paths without the dynamic ones, and those.
func splitDynamic(paths []string) (static, dynamic []string) {
	for _, p := range paths {
		if isDynamic(p) {
			dynamic = append(dynamic, p)
		} else {
			static = append(static, p)
		}
	}
	return static, dynamic
}

// dynamicHint is checkHint for a dynamic credential.
func dynamicHint(env string, is manifest.Issue) string {
	role := strings.TrimPrefix(is.Secret, dynamicPrefix)
	switch is.Kind {
	case manifest.IssueNotFound:
		return fmt.Sprintf("write the role: ward db role write --env %s %s --db-name CONFIG --creation-statement '...'", env, role)
	case manifest.IssueDenied:
		return fmt.Sprintf("your token's policy needs read on %s/%s: ask an admin to grant it", env, is.Secret)
	case manifest.IssueFieldMissing:
		return "a database credential has the fields username and password"
	}
	return fmt.Sprintf("check the database config of role %s (ward db config read --env %s CONFIG) and that the database is up", role, env)
}
