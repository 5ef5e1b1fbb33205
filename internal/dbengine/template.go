package dbengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardhq/ward/internal/lease"
)

// expirationLayout is how {{expiration}} is written, as in Vault.
const expirationLayout = "2006-01-02 15:04:05-0700"

// vars are the values a statement template may name.
type vars struct {
	name, password string
	expiration     time.Time
}

func (v vars) render(stmt string) string {
	exp := ""
	if !v.expiration.IsZero() {
		exp = v.expiration.UTC().Format(expirationLayout)
	}
	return strings.NewReplacer("{{name}}", v.name, "{{username}}", v.name, "{{password}}", v.password, "{{expiration}}", exp).Replace(stmt)
}

// execAll runs stmts, rendered with v, in one transaction on conn, and
// calls beforeCommit (if not nil) before it commits; an error from it
// rolls the transaction back. A statement the database refuses is a
// *StatementError with secrets redacted. If the connection fails during
// the commit, the error wraps lease.ErrMaybeCreated: the changes may have
// been made.
func execAll(ctx context.Context, conn *pgxpool.Conn, role, which string, stmts []string, v vars, beforeCommit func() error, secrets ...string) error {
	secrets = append(secrets, v.password)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := execTx(ctx, conn, role, which, stmts, v, beforeCommit, secrets)
		if !concurrentlyUpdated(err) || attempt >= maxAttempts && time.Since(start) >= retryBudget {
			return err
		}
		// Two transactions changed one catalog row (GRANTs on one table):
		// PostgreSQL aborts the later; run it again.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6))) // jittered, up to 64 ms
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// commitTimeout bounds a COMMIT, which runs to its end even when the
// request that started it is cancelled.
const commitTimeout = 30 * time.Second

// commitContext is the context of a COMMIT: ctx's values, not its end. A
// COMMIT abandoned when a client hangs up has an unknown outcome while the
// server may still apply it; a revocation that looks meanwhile finds no
// user, ends the lease, and leaves the user behind when the COMMIT lands.
func commitContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
}

// execAll runs a transaction that lost a race again at least maxAttempts
// times in all, and for at least retryBudget: with many requests for one
// role on a loaded machine, each transaction waits long enough for a
// rival's commit that ten quick attempts could all lose.
const (
	maxAttempts = 10
	retryBudget = 5 * time.Second
)

// concurrentlyUpdated reports whether err is PostgreSQL's "tuple
// concurrently updated", which has no SQLSTATE of its own (XX000).
func concurrentlyUpdated(err error) bool {
	var se *StatementError
	return errors.As(err, &se) && se.Code == "XX000" && strings.Contains(se.Message, "concurrently updated")
}

// execTx is one attempt of execAll.
func execTx(ctx context.Context, conn *pgxpool.Conn, role, which string, stmts []string, v vars, beforeCommit func() error, secrets []string) error {
	// One round trip for BEGIN and every statement, one for COMMIT: under
	// load each round trip waits for the server to be scheduled.
	var b strings.Builder
	b.WriteString("BEGIN")
	for _, s := range stmts {
		b.WriteString(";\n")
		b.WriteString(v.render(s))
	}
	pc := conn.Conn().PgConn()
	if _, err := pc.Exec(ctx, b.String()).ReadAll(); err != nil {
		rollback(ctx, pc)
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			// Run them again one by one, to name the statement that fails.
			return execEach(ctx, conn, role, which, stmts, v, beforeCommit, secrets)
		}
		return fmt.Errorf("running the %s statements of role %q: %s", which, role, Redact(err.Error(), secrets...))
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			rollback(ctx, pc)
			return err
		}
	}
	cctx, cancel := commitContext(ctx)
	defer cancel()
	res, err := pc.Exec(cctx, "COMMIT").ReadAll()
	if err != nil {
		return commitError(err, role, which, len(stmts), secrets)
	}
	if len(res) != 1 || res[0].CommandTag.String() != "COMMIT" {
		return fmt.Errorf("the %s statements of role %q were rolled back at COMMIT (does a statement end the transaction itself?)", which, role)
	}
	return nil
}

// rollback ends a transaction that failed or is abandoned.
func rollback(ctx context.Context, pc *pgconn.PgConn) {
	pc.Exec(context.WithoutCancel(ctx), "ROLLBACK").ReadAll()
}

// execEach is execTx one statement per round trip, so that a failure is
// pinned to its statement.
func execEach(ctx context.Context, conn *pgxpool.Conn, role, which string, stmts []string, v vars, beforeCommit func() error, secrets []string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("starting the %s statements of role %q: %s", which, role, Redact(err.Error(), secrets...))
	}
	for i, s := range stmts {
		if _, err := tx.Exec(ctx, v.render(s)); err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			return statementError(err, role, which, i+1, secrets)
		}
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			return err
		}
	}
	cctx, cancel := commitContext(ctx)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		return commitError(err, role, which, len(stmts), secrets)
	}
	return nil
}

// commitError is the error of a failed COMMIT of n statements: the
// database's refusal, or, if the connection failed, an error wrapping
// lease.ErrMaybeCreated, since the commit may have happened.
func commitError(err error, role, which string, n int, secrets []string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return statementError(err, role, which, n, secrets)
	}
	return fmt.Errorf("committing the %s statements of role %q: %s: %w", which, role, Redact(err.Error(), secrets...), lease.ErrMaybeCreated)
}

func statementError(err error, role, which string, index int, secrets []string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s statement %d of role %q: %s", which, index, role, Redact(err.Error(), secrets...))
	}
	return &StatementError{Role: role, Which: which, Index: index, Code: pe.Code, Message: Redact(pe.Message, secrets...)}
}

// checkPasswordPolicy refuses a password policy that is weak or whose
// characters could break out of a SQL string literal.
func checkPasswordPolicy(length int, charset string) error {
	if length < 16 || length > 128 {
		return &FieldError{Field: "password_length", Reason: fmt.Sprintf("%d: want 16..128", length)}
	}
	seen := map[rune]bool{}
	for _, r := range charset {
		if r <= ' ' || r >= 0x7f || r == '\'' || r == '"' || r == '\\' {
			return &FieldError{Field: "password_charset", Reason: fmt.Sprintf("holds %q: want printable ASCII without spaces, quotes or backslashes", r)}
		}
		seen[r] = true
	}
	if len(seen) < 10 {
		return &FieldError{Field: "password_charset", Reason: fmt.Sprintf("%d distinct characters: want at least 10", len(seen))}
	}
	if bits := float64(length) * math.Log2(float64(len(seen))); bits < 96 {
		return &FieldError{Field: "password_length", Reason: fmt.Sprintf("%d characters of %d give %.0f bits: want at least 96", length, len(seen), bits)}
	}
	return nil
}

// randomString draws n characters uniformly from charset (distinct ASCII).
func randomString(rnd io.Reader, n int, charset string) (string, error) {
	set := []byte(dedupe(charset))
	limit := 256 - 256%len(set) // reject bytes at or above, for uniformity
	out := make([]byte, 0, n)
	buf := make([]byte, n+16)
	for len(out) < n {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", fmt.Errorf("reading randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, set[int(b)%len(set)])
			}
		}
	}
	return string(out), nil
}

func dedupe(s string) string {
	var b strings.Builder
	seen := map[rune]bool{}
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			b.WriteRune(r)
		}
	}
	return b.String()
}

const userRandomLen = 10

// userName returns a fresh name v-ENV-ROLE-RANDOM, at most 63 bytes.
func userName(rnd io.Reader, env, role string) (string, error) {
	suffix, err := randomString(rnd, userRandomLen, "abcdefghijklmnopqrstuvwxyz0123456789")
	if err != nil {
		return "", err
	}
	return "v-" + trunc(env, 16) + "-" + trunc(role, 24) + "-" + suffix, nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
