// Package audit writes ward's audit log: one JSON line per request and per
// response, in which every token, accessor and secret value appears only as
// an HMAC, and every line carries the hash of the line before it, so that a
// changed, removed, reordered or inserted line shows.
//
// The vault opens one Log per audit file and the HTTP server calls Write
// twice per request, before it acts and before it answers:
//
//	log, err := audit.Open(audit.Config{Path: "/var/lib/ward/audit.log", HMACKey: key})
//	...
//	if err := log.Write(ctx, &audit.Entry{Type: "request", Path: p, Token: tok}); err != nil {
//		// fail the request: nothing unaudited leaves the vault
//	}
//
// Write fails closed. It returns only once the line is in the file (handed
// to the kernel, or on disk with Config.Sync), and an error means the line is
// not there: the caller must fail the request and return no secret. A failed
// batch leaves the file as it was (partial bytes are truncated away) and the
// chain head where it was; the next Write tries again, reopening the file if
// it was removed, so the server recovers by itself once the disk works.
//
// Concurrent Writes are grouped: the first writer to arrive writes the lines
// of every writer waiting behind it in one write system call, so the cost of
// a system call (and of an fsync with Config.Sync) is shared by the group.
//
// The file is created 0600 (a wider mode on an existing file is tightened),
// must be a regular file, and is locked while a Log has it open. Open
// resumes the chain from the file's last complete line and drops a torn last
// line left by a crash. If the file is removed while open, the batch that
// finds out fails, and later lines go to a new file at the same path whose
// chain goes on from the old one: Verify of the new file alone reports that
// its first line continues an earlier log.
//
// Rotation: rename the file, then call Log.Reopen (ward server does on
// SIGHUP). Until then lines go on into the renamed file; after it, into a
// new file at the path, whose first line chains to the renamed file's last,
// so the files read in order verify as one chain.
//
// Log.HMAC gives the "hmac-sha256:<hex>" form of a value under the vault's
// audit key, which is what sys/audit-hash returns: an operator looking for a
// token or a secret value in the log searches for its HMAC.
//
// Verify reads a log and reports the first line where the chain breaks as a
// *ChainError; `ward audit verify FILE` is its command line. The chain is a
// plain SHA-256 chain, so anyone can check it without the key, and alone it
// proves that the file is self-consistent, not who wrote it: someone able to
// write the file can rewrite its whole tail, and can cut lines off its end.
// Checkpoints (Config.CheckpointKey, Log.Checkpoint) close that: lines in
// which the vault signs the chain's head with an Ed25519 key, which
// VerifyLog checks against a pinned key and against checkpoints kept
// elsewhere (see checkpoint.go).
//
// # Line format
//
// Each line is a JSON object whose last three members are "seq" (1 for the
// first entry of a chain), "prev" (the previous line's hash; 64 zeros for the
// first) and "hash": the hex SHA-256 of the line's exact bytes up to, not
// including, the `,"hash":` that ends it. Keys of the entry's Data are kept;
// every leaf (string, number, bool) is replaced by its HMAC,
// "hmac-sha256:<hex>". An object or array whose leaves' HMACs would take more
// than four times its own JSON text (and more than 1 KiB) is replaced by one
// HMAC of that text, compact with keys sorted: "hmac-sha256-json:<hex>". So a
// line is never more than about four times the request or response it
// records, however the body is shaped, and a hostile body cannot fill the
// disk or make the log refuse a request.
package audit
