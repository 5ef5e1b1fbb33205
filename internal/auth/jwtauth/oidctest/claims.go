package oidctest

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"
)

// GitHubJob describes a GitHub Actions job; GitHub puts it in the claims
// of the job's OIDC token. Empty fields take the defaults beside them.
type GitHubJob struct {
	Audience          string // "https://github.com/OWNER", GitHub's default
	Repository        string // "acme/api"
	RepositoryID      string // "74"
	RepositoryOwnerID string // "65"
	Ref               string // "refs/heads/main"
	RefType           string // "branch"
	Environment       string // "": the job names no environment
	EventName         string // "push"
	Workflow          string // "ci"
	WorkflowFile      string // ".github/workflows/ci.yml"
	RunID             string // "1234567890"
	Actor             string // "octocat"
	SHA               string // 40 hex digits
}

// GitHub returns the claims GitHub Actions puts in a job's token, as its
// OIDC reference documents them. sub follows GitHub's default template:
// repo:ORG/REPO:environment:NAME for a job with an environment,
// repo:ORG/REPO:pull_request for a pull request, and
// repo:ORG/REPO:ref:REF otherwise.
func (i *Issuer) GitHub(j GitHubJob) map[string]any {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&j.Repository, "acme/api")
	owner := j.Repository
	for k := range owner {
		if owner[k] == '/' {
			owner = owner[:k]
			break
		}
	}
	def(&j.Audience, "https://github.com/"+owner)
	def(&j.RepositoryID, "74")
	def(&j.RepositoryOwnerID, "65")
	def(&j.Ref, "refs/heads/main")
	def(&j.RefType, "branch")
	def(&j.EventName, "push")
	def(&j.Workflow, "ci")
	def(&j.WorkflowFile, ".github/workflows/ci.yml")
	def(&j.RunID, "1234567890")
	def(&j.Actor, "octocat")
	def(&j.SHA, randomHex(20))
	sub := "repo:" + j.Repository + ":ref:" + j.Ref
	switch {
	case j.Environment != "":
		sub = "repo:" + j.Repository + ":environment:" + j.Environment
	case j.EventName == "pull_request" || j.EventName == "pull_request_target":
		sub = "repo:" + j.Repository + ":pull_request"
	}
	now := i.now().Unix()
	wfRef := j.Repository + "/" + j.WorkflowFile + "@" + j.Ref
	c := map[string]any{
		"jti":                   randomHex(16),
		"sub":                   sub,
		"aud":                   j.Audience,
		"ref":                   j.Ref,
		"sha":                   j.SHA,
		"repository":            j.Repository,
		"repository_owner":      owner,
		"repository_owner_id":   j.RepositoryOwnerID,
		"repository_visibility": "private",
		"repository_id":         j.RepositoryID,
		"actor_id":              "12",
		"actor":                 j.Actor,
		"run_id":                j.RunID,
		"run_number":            "10",
		"run_attempt":           "1",
		"runner_environment":    "github-hosted",
		"workflow":              j.Workflow,
		"head_ref":              "",
		"base_ref":              "",
		"event_name":            j.EventName,
		"ref_type":              j.RefType,
		"ref_protected":         strconv.FormatBool(j.Ref == "refs/heads/main"),
		"workflow_ref":          wfRef,
		"workflow_sha":          j.SHA,
		"job_workflow_ref":      wfRef,
		"job_workflow_sha":      j.SHA,
		"iss":                   i.URL,
		"nbf":                   now - 5,
		"exp":                   now + 300,
		"iat":                   now,
	}
	if j.Environment != "" {
		c["environment"] = j.Environment
	}
	if j.EventName == "pull_request" {
		c["head_ref"], c["base_ref"] = "feature", "main"
	}
	return c
}

// GitLabJob describes a GitLab CI job; empty fields take the defaults
// beside them.
type GitLabJob struct {
	Audience     string // "ward"; set by id_tokens: aud in .gitlab-ci.yml
	ProjectPath  string // "acme/api"
	ProjectID    string // "22"
	NamespaceID  string // "72"
	Ref          string // "main" (GitLab's ref is the bare branch name)
	RefType      string // "branch"
	RefProtected string // "true"
	Environment  string // "": the job names no environment
	PipelineID   string // "1212"
	JobID        string // "1212"
	UserLogin    string // "alice"
}

// GitLab returns the claims GitLab CI puts in an ID token made with
// id_tokens:, as its documentation lists them; sub is
// project_path:GROUP/PROJECT:ref_type:TYPE:ref:REF.
func (i *Issuer) GitLab(j GitLabJob) map[string]any {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&j.Audience, "ward")
	def(&j.ProjectPath, "acme/api")
	def(&j.ProjectID, "22")
	def(&j.NamespaceID, "72")
	def(&j.Ref, "main")
	def(&j.RefType, "branch")
	def(&j.RefProtected, "true")
	def(&j.PipelineID, "1212")
	def(&j.JobID, "1212")
	def(&j.UserLogin, "alice")
	ns := j.ProjectPath
	for k := len(ns) - 1; k >= 0; k-- {
		if ns[k] == '/' {
			ns = ns[:k]
			break
		}
	}
	now := i.now().Unix()
	sha := randomHex(20)
	c := map[string]any{
		"namespace_id":       j.NamespaceID,
		"namespace_path":     ns,
		"project_id":         j.ProjectID,
		"project_path":       j.ProjectPath,
		"project_visibility": "private",
		"user_id":            "42",
		"user_login":         j.UserLogin,
		"user_email":         j.UserLogin + "@example.com",
		"user_access_level":  "developer",
		"pipeline_id":        j.PipelineID,
		"pipeline_source":    "push",
		"job_id":             j.JobID,
		"ref":                j.Ref,
		"ref_type":           j.RefType,
		"ref_path":           "refs/heads/" + j.Ref,
		"ref_protected":      j.RefProtected,
		"runner_id":          "1",
		"runner_environment": "gitlab-hosted",
		"sha":                sha,
		"ci_config_ref_uri":  "gitlab.example.com/" + j.ProjectPath + "//.gitlab-ci.yml@refs/heads/" + j.Ref,
		"ci_config_sha":      sha,
		"jti":                randomHex(16),
		"iss":                i.URL,
		"iat":                now,
		"nbf":                now - 5,
		"exp":                now + 3600,
		"sub":                "project_path:" + j.ProjectPath + ":ref_type:" + j.RefType + ":ref:" + j.Ref,
		"aud":                j.Audience,
	}
	if j.Environment != "" {
		c["environment"] = j.Environment
		c["environment_protected"] = "true"
		c["deployment_tier"] = j.Environment
		c["environment_action"] = "start"
	}
	return c
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
