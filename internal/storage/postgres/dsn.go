package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Describe returns what may be printed of a connection string: user, hosts,
// database and TLS mode, never the password. A string that cannot be
// parsed is described as such, without quoting it.
func Describe(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "postgres (unparseable connection string)"
	}
	hosts := []string{fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)}
	for _, fb := range cfg.Fallbacks {
		if h := fmt.Sprintf("%s:%d", fb.Host, fb.Port); h != hosts[len(hosts)-1] {
			hosts = append(hosts, h)
		}
	}
	return fmt.Sprintf("postgres://%s@%s/%s (tls %s)", cfg.User, strings.Join(hosts, ","), cfg.Database, tlsMode(cfg))
}

// tlsMode says what protects the connection, as sslmode set it up:
// "verified" (verify-full: certificate and host name), "verified, CA only"
// (verify-ca), "on, unverified" (require), "if offered, unverified" (prefer,
// libpq's default, which falls back to plain text) or "off".
func tlsMode(cfg *pgconn.Config) string {
	switch tc := cfg.TLSConfig; {
	case tc == nil:
		return "off"
	case len(cfg.Fallbacks) > 0 && cfg.Fallbacks[len(cfg.Fallbacks)-1].TLSConfig == nil:
		return "if offered, unverified"
	case !tc.InsecureSkipVerify:
		return "verified"
	case tc.VerifyPeerCertificate != nil:
		return "verified, CA only"
	default:
		return "on, unverified"
	}
}
