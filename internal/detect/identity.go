package detect

import "strings"

// identity is who an event is about, for baselines.
type identity struct {
	key  string // ci:..., user:..., token:..., addr:...
	role string // CI role, "" for others
	ctx  string // CI context: REPOSITORY@REF WORKFLOW, ref grouped
}

// kind is the part of the key before its colon: ci, user, token or addr.
func (id identity) kind() string {
	k, _, _ := strings.Cut(id.key, ":")
	return k
}

// idMemo is the identity of the last event with the fields identify read
// of it: the next event from the same caller, the common case, gets it
// without building its key again. The zero value is empty; SetConfig
// empties it (the refs it groups may change).
type idMemo struct {
	ok                                                       bool
	role, repository, ref, workflow, user, display, tok, acc string
	addr                                                     string // read only for an addr: identity
	id                                                       identity
}

// identify is identify(e, groupRefs), from m when e is from the caller of
// the last event.
func (m *idMemo) identify(e *Event, groupRefs []string) identity {
	if m.ok && m.role == e.Role && m.repository == e.Repository && m.ref == e.Ref && m.workflow == e.Workflow &&
		m.user == e.User && m.display == e.Identity && m.tok == e.Token && m.acc == e.Accessor &&
		(m.addr == e.RemoteAddr || !strings.HasPrefix(m.id.key, "addr:")) {
		return m.id
	}
	*m = idMemo{ok: true, role: e.Role, repository: e.Repository, ref: e.Ref, workflow: e.Workflow, user: e.User,
		display: e.Identity, tok: e.Token, acc: e.Accessor, addr: e.RemoteAddr, id: identify(e, groupRefs)}
	return m.id
}

// identify finds the identity of e. A CI job is its role with its
// repository, ref (grouped by groupRefs) and workflow; a user signed in
// with a password is the user; any other token is its display name and
// accessor; a request without a token is its address.
func identify(e *Event, groupRefs []string) identity {
	if e.Role != "" && e.Repository != "" {
		ref := e.Ref
		if g := anyGlob(groupRefs, ref); g != "" {
			ref = g
		}
		wf, _, _ := strings.Cut(e.Workflow, "@")
		ctx := e.Repository + "@" + ref + " " + wf
		return identity{key: "ci:" + e.Role + " " + ctx, role: e.Role, ctx: ctx}
	}
	if u := e.User; u != "" {
		return identity{key: "user:" + u}
	}
	if u, ok := strings.CutPrefix(e.Identity, "userpass-"); ok {
		return identity{key: "user:" + u}
	}
	if e.Token == "" && e.Identity == "" {
		return identity{key: "addr:" + e.Host()}
	}
	acc := e.Accessor
	if acc == "" {
		acc = e.Token
	}
	acc = strings.TrimPrefix(acc, "hmac-sha256:")
	if len(acc) > 12 {
		acc = acc[:12]
	}
	return identity{key: "token:" + e.Identity + " " + acc}
}

// secretID turns an API path on a KV engine (ENV/data/PATH, or metadata,
// delete, undelete, destroy) into ENV/PATH, as ward kv names secrets. Other
// paths are returned as they are.
func secretID(p string) string {
	env, rest, ok := strings.Cut(p, "/")
	if !ok {
		return p
	}
	kind, secret, ok := strings.Cut(rest, "/")
	if !ok || secret == "" {
		return p
	}
	switch kind {
	case "data", "metadata", "delete", "undelete", "destroy":
		return env + "/" + secret
	}
	return p
}
