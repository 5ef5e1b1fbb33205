// Package lease keeps the leases of ward's dynamic credentials: what was
// handed out, to which token and identity, in which environment, until
// when; and it takes each credential back when its lease ends.
//
// An engine (the database engine, say) issues a credential through a
// Manager and implements Revoker to take it back:
//
//	m := lease.New(lease.Config{Storage: barrier, Revokers: map[string]lease.Revoker{"database": db}})
//	err := m.Recover(ctx, envs)  // at unseal: load every lease, expired ones become due
//	go m.Run(ctx)                // the expiry scheduler, until ctx ends (at seal)
//	l, warnings, err := m.Issue(ctx, lease.Request{...}, func(ctx context.Context, l *lease.Lease, stored func() error) error {
//		// BEGIN; CREATE ROLE ...; then, before COMMIT:
//		if err := stored(); err != nil { return err } // ROLLBACK
//		return commit()
//	})
//
// # Life of a lease
//
// Issue checks the quotas (Config.MaxPerToken, Config.MaxPerIdentity: a
// *QuotaError, which says when to retry), starts writing the lease record
// and calls the engine's create function, which waits for the record to be
// durable before it makes the credential permanent. A crash after the
// write leaves a record that Recover finds and revokes at its expiry, so a
// credential is never made without a lease that will take it back; a
// failed create deletes the record again. Renew extends a renewable lease by its TTL (or
// an increment), capped at its max TTL from issue and at the expiry of the
// token that got it, with a warning when capped, as Vault does.
//
// A lease ends by expiry (Run, Tick), by Revoke, RevokePrefix, RevokeToken
// or RevokeEnv. Ending it calls the engine's Revoker and, when that
// succeeds, deletes the record. A revocation that fails (the database is
// down) is kept: the record is marked with the failure, retried with
// exponential backoff (Config.RetryBase doubling up to Config.RetryMax) for
// as long as it takes, and listed by Failed. Nothing is dropped silently. An
// engine that can take back many credentials at once implements BatchRevoker
// as well; Config.Notify hears of every revocation and failure, for the
// audit log.
//
// # Who may touch a lease
//
// A Caller is a token: its accessor, its environment, and whether it is an
// admin. A lease can be looked up, renewed and revoked by the token that got
// it, or by an admin of its environment (or a root token); everyone else
// gets ErrPermissionDenied. RevokePrefix and Failed are for admins only;
// RevokeToken and RevokeEnv take no Caller: the vault calls them when it
// revokes a token or deletes an environment.
//
// # Storage
//
// Lease IDs read like Vault's, with the environment first:
// "staging/database/creds/app/<random>". The record of lease ENV/REST is
// stored as JSON at env/<environment id>/leases/REST, so the barrier seals
// it with the environment's own key. Records hold what the engine needs to
// revoke (a user name, never a password). All state is also kept in
// memory, built by Recover.
//
// # Several servers
//
// Several servers on one shared store each hold a Manager over the same
// records, and only one of them runs the scheduler (Run). The others still
// issue, renew and revoke on request, and every Manager follows the others'
// writes: Refresh takes one changed record in (the vault calls it from the
// store's change feed), Reconcile takes all of them in without dropping
// what runs meanwhile (the server that takes over the expiry calls it, and
// then now and then). Following never moves an expiry earlier. With one
// server per store, as on bbolt, the Manager is its storage's only writer
// and needs neither.
//
// Time comes from Config.Now and Config.After, randomness from
// Config.Rand, so tests run the scheduler with a fake clock.
package lease
