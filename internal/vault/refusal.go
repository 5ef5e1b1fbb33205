package vault

import "fmt"

// Kind classifies a Refusal for the caller: the server answers
// KindInvalid with 400, KindDenied 403, KindNotFound 404, KindConflict 409
// and KindLimited 429.
type Kind int

// The kinds of Refusal.
const (
	KindInvalid Kind = iota + 1
	KindDenied
	KindNotFound
	KindConflict
	KindLimited
)

// Refusal is a domain rule saying no: a malformed request, a denied one, a
// limit reached. Its message is public: it names paths, fields, rules and
// what to do, never a value, a code or a token.
type Refusal struct {
	Kind Kind
	Msg  string
	// MFA is the outcome of a step-up check this refusal comes from, for
	// the audit entry ("refused: wrong code"); "" for other refusals.
	MFA string
	// Prompt: a valid TOTP code sent with the same request could turn this
	// refusal into a success, so a client may ask for one and retry.
	Prompt bool
}

func (r *Refusal) Error() string { return r.Msg }

func refuse(k Kind, format string, args ...any) *Refusal {
	return &Refusal{Kind: k, Msg: fmt.Sprintf(format, args...)}
}
