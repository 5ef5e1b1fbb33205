package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward/internal/audit"
)

// The detectors, as alerts and alerts.yaml name them.
const (
	DetFirstRead      = "first_read"
	DetNewCIContext   = "new_ci_context"
	DetCrossEnv       = "cross_environment"
	DetDenialBurst    = "denial_burst"
	DetEnumeration    = "enumeration"
	DetReadVolume     = "read_volume"
	DetUnusualHour    = "unusual_hour"
	DetTokenAddresses = "token_addresses"
	DetSensitivePath  = "sensitive_path"
)

// Detectors lists every detector, in the order of the package doc.
var Detectors = []string{DetFirstRead, DetNewCIContext, DetCrossEnv, DetDenialBurst, DetEnumeration, DetReadVolume, DetUnusualHour, DetTokenAddresses, DetSensitivePath}

// Alert is one finding. It names identities, paths, addresses and the rule
// that fired, and never a value: the audit lines it comes from hold none.
type Alert struct {
	ID       string    `json:"id"`       // stable: a hash of detector, identity, subject and time
	Time     time.Time `json:"time"`     // of the audit line that raised it
	Detector string    `json:"detector"` // one of Detectors
	// Rule is the threshold that fired, in alerts.yaml's words
	// ("denial_burst: 10 denials within 1m0s").
	Rule string `json:"rule"`
	// Identity is the baseline's key: ci:ROLE REPOSITORY@REF WORKFLOW,
	// user:NAME, token:NAME or addr:HOST for requests without a token.
	Identity    string   `json:"identity"`
	DisplayName string   `json:"display_name,omitempty"` // the token's display name
	Environment string   `json:"environment,omitempty"`
	Paths       []string `json:"paths,omitempty"`
	Addresses   []string `json:"addresses,omitempty"`
	// Subject is what the alert is about within the identity (a path, an
	// hour, a CI context); alerts with the same detector, identity and
	// subject are duplicates.
	Subject string `json:"subject"`
	Summary string `json:"summary"` // one sentence for a human
	// Suppressed counts the alerts of this detector and identity that the
	// rate limit held back before this one.
	Suppressed int `json:"suppressed,omitempty"`

	AckedBy string    `json:"acked_by,omitempty"`
	AckedAt time.Time `json:"acked_at,omitzero"`
}

// dedupeKey is what makes two alerts the same one.
func (a *Alert) dedupeKey() string { return a.Detector + "\x00" + a.Identity + "\x00" + a.Subject }

func (a *Alert) setID() {
	h := sha256.New()
	h.Write([]byte(a.dedupeKey()))
	h.Write([]byte(a.Time.UTC().Format(time.RFC3339Nano)))
	a.ID = "alert-" + hex.EncodeToString(h.Sum(nil)[:10])
}

// AuditEntry is the alert as an audit entry of its own, of type "alert":
// its request id is the alert's id, its operation the detector, its path
// the first path named, and Meta carries the rest. Everything in it is
// public (names, paths, addresses, rules), so nothing is HMAC'd.
func (a *Alert) AuditEntry() *audit.Entry {
	meta := map[string]string{
		"detector": a.Detector,
		"rule":     a.Rule,
		"identity": a.Identity,
		"subject":  a.Subject,
		"summary":  a.Summary,
	}
	if len(a.Paths) > 0 {
		meta["paths"] = strings.Join(a.Paths, ",")
	}
	if len(a.Addresses) > 0 {
		meta["addresses"] = strings.Join(a.Addresses, ",")
	}
	if a.Suppressed > 0 {
		meta["suppressed"] = strconv.Itoa(a.Suppressed)
	}
	e := &audit.Entry{
		Time:        a.Time,
		Type:        "alert",
		RequestID:   a.ID,
		Identity:    a.DisplayName,
		Environment: a.Environment,
		Operation:   a.Detector,
		Meta:        meta,
	}
	if len(a.Paths) > 0 {
		e.Path = a.Paths[0]
	}
	return e
}
