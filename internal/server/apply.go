package server

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/wardhq/ward/internal/jsonstrict"
	"github.com/wardhq/ward/internal/lazyre"
	"github.com/wardhq/ward/internal/plan"
	"github.com/wardhq/ward/internal/vault"
)

// Policy as code: sys/ward/plan answers what applying a directory's state
// would change (it needs read on sys/ward/plan) and sys/ward/apply makes
// the changes in one transaction (update on sys/ward/apply). Both take
//
//	{"state": <plan.State>, "prune": false, "expect": "<digest>",
//	 "revision": {"commit": "<git sha>", "dirty": false, "content_sha256": "<hex>"}}
//
// and answer data.changes (a list of plan.Change), data.digest and, for
// apply, data.applied. The revision goes into the apply's audit entry as
// public context (Meta), so that the log says which commit was applied.

// revision is the version of the directory a state was read from.
type revision struct {
	Commit        string `json:"commit,omitempty"`
	Dirty         bool   `json:"dirty,omitempty"`
	ContentSHA256 string `json:"content_sha256,omitempty"`
}

type applyRequest struct {
	State    *plan.State `json:"state"`
	Prune    bool        `json:"prune"`
	Expect   string      `json:"expect"`
	Revision revision    `json:"revision"`
}

var (
	commitRE = lazyre.New(`^[0-9a-f]{7,64}$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (s *Server) planHandler(ctx context.Context, req *request) (*response, error) {
	return s.plan(ctx, req, false)
}

func (s *Server) applyHandler(ctx context.Context, req *request) (*response, error) {
	return s.plan(ctx, req, true)
}

func (s *Server) plan(ctx context.Context, req *request, apply bool) (*response, error) {
	var body applyRequest
	if err := jsonstrict.Decode(req.body, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if body.State == nil {
		return nil, errorf(http.StatusBadRequest, `missing "state": the desired state, as 'ward plan -f DIR' sends it`)
	}
	rev := body.Revision
	switch {
	case rev.Commit != "" && !commitRE().MatchString(rev.Commit):
		return nil, errorf(http.StatusBadRequest, "revision.commit must be a git commit id in lowercase hex")
	case rev.ContentSHA256 != "" && !sha256RE.MatchString(rev.ContentSHA256):
		return nil, errorf(http.StatusBadRequest, "revision.content_sha256 must be 64 lowercase hex digits")
	case body.Expect != "" && !sha256RE.MatchString(body.Expect):
		return nil, errorf(http.StatusBadRequest, "expect must be the digest a plan answered: 64 lowercase hex digits")
	}
	opt := vault.ApplyOptions{Options: plan.Options{Prune: body.Prune}, Expect: body.Expect}
	var changes []plan.Change
	var err error
	if apply {
		req.auditMeta = revisionMeta(rev)
		changes, err = s.v.ApplyAs(ctx, &req.Caller, body.State, opt)
	} else {
		changes, _, err = s.v.Plan(ctx, body.State, opt)
	}
	if err != nil {
		return nil, planError(err)
	}
	if changes == nil {
		changes = []plan.Change{}
	}
	digest := plan.Digest(changes)
	data := map[string]any{"changes": changes, "digest": digest}
	audit := map[string]any{"digest": digest, "changes": len(changes)}
	if apply {
		data["applied"] = true
		req.auditMeta["plan_digest"] = digest
		req.auditMeta["changes"] = strconv.Itoa(len(changes))
	}
	out := envelope(req, data)
	delete(out, "mount_type")
	return &response{status: http.StatusOK, body: out, auditData: audit}, nil
}

// revisionMeta is the revision as the audit entry's public context.
func revisionMeta(rev revision) map[string]string {
	m := map[string]string{"ward_apply": "true"}
	if rev.Commit != "" {
		m["revision_commit"] = rev.Commit
		m["revision_dirty"] = strconv.FormatBool(rev.Dirty)
	}
	if rev.ContentSHA256 != "" {
		m["revision_content_sha256"] = rev.ContentSHA256
	}
	return m
}

// planError maps a plan's problems to a 400 with one message each.
func planError(err error) error {
	var pe *plan.Error
	switch {
	case errors.As(err, &pe):
		msgs := make([]string, len(pe.Problems))
		for i, p := range pe.Problems {
			msgs[i] = p.String()
		}
		return &apiError{status: http.StatusBadRequest, msgs: msgs}
	case errors.Is(err, vault.ErrPlanChanged):
		return &apiError{status: http.StatusConflict, msgs: []string{err.Error() + "; run 'ward plan' again and review the new plan"}}
	}
	return err
}
