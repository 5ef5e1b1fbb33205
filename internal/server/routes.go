package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/wardhq/ward/internal/policy"
)

// opSelf marks an operation every valid token may perform on itself
// (lookup-self, renew-self, revoke-self, capabilities-self).
const opSelf policy.Capability = "self"

type handlerFunc func(ctx context.Context, req *request) (*response, error)

// route is what a path and method resolve to.
type route struct {
	handler         handlerFunc
	unauthenticated bool   // health, seal-status, unseal, init
	env             string // the environment a KV route reaches
	op              policy.Capability
	policyPath      string
	// resolve, when set, decides op at request time (a KV write is a
	// create or an update depending on whether the secret exists).
	resolve func(ctx context.Context, req *request) (policy.Capability, error)
}

func methodNotAllowed(req *request) error {
	return errorf(http.StatusMethodNotAllowed, "method %s is not supported on %s", req.method, req.path)
}

// route finds the handler for req.path and req.method.
func (s *Server) route(req *request) (*route, error) {
	head, rest, _ := strings.Cut(req.path, "/")
	switch head {
	case "sys":
		return s.sysRoute(req, rest)
	case "auth":
		return s.authRoute(req, rest)
	case "":
		return nil, errNotFound
	}
	return s.kvRoute(req, head, rest)
}
