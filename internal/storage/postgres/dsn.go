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
	tls := "off"
	if cfg.TLSConfig != nil {
		tls = "on"
		if !cfg.TLSConfig.InsecureSkipVerify {
			tls = "verified"
		}
	}
	return fmt.Sprintf("postgres://%s@%s/%s (tls %s)", cfg.User, strings.Join(hosts, ","), cfg.Database, tls)
}
