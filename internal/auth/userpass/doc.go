// Package userpass is ward's password login for humans: users stored
// through the vault's barrier, passwords hashed with argon2id, and a lockout
// that counts failed logins per normalised name.
//
// Most callers need two things: a Store over the vault's encrypted storage,
// which keeps the users, and an Authenticator, which checks a login:
//
//	st := userpass.NewStore(view)                // storage under sys/userpass/
//	a := userpass.NewAuthenticator(userpass.Config{})
//	u, err := a.Login(ctx, st, " Alice ", password)
//
// # Names
//
// A user's name is normalised before anything else ([Normalize]): Unicode
// NFKC, case folded, surrounding white space trimmed. "Alice", " alice " and
// "ａｌｉｃｅ" (full-width) are one user and share one failure counter. A
// normalised name must be ASCII letters, digits and ". _ - @", so it can be
// written in an API path and a policy rule.
//
// # Logins
//
// Login always does the same argon2id work: for a name without a user it
// checks the password against a dummy hash made with the current
// parameters, so a caller cannot tell from the time taken whether a user
// exists. Every failure (unknown user or wrong password) is [ErrBadLogin].
// After Config.MaxFailures failures within Config.Window a name is locked
// ([ErrLockedOut]) until the oldest failure leaves the window, whether or
// not a user has that name. The counters live in this process's memory: a
// restart, or another ward process, starts them afresh.
package userpass
