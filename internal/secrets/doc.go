// Package secrets is ward's KV v2 engine: the versioned JSON secrets of one
// environment, with the semantics of HashiCorp Vault's KV version 2 secrets
// engine, so that Vault clients see what they expect.
//
// Most callers need New and three methods:
//
//	kv := secrets.New(secrets.Config{Storage: envStore})
//	vm, err := kv.Put(ctx, "payments/db", json.RawMessage(`{"password":"…"}`), secrets.PutOptions{})
//	v, err := kv.Get(ctx, "payments/db", 0) // 0: the current version
//	md, err := kv.Metadata(ctx, "payments/db")
//
// # Semantics (as in Vault)
//
// A secret is a JSON object of at most Config.MaxValueSize bytes (1 MiB by
// default). Every write makes a new version, numbered from 1; the metadata
// records CurrentVersion, OldestVersion and, per version, its creation time,
// its DeletionTime and whether it was destroyed.
//
//   - Versions kept: the larger of the secret's MaxVersions and the engine's
//     EngineConfig.MaxVersions (so the engine's applies when the secret's is
//     0), or 10 when both are 0, as current Vault computes it. A write that makes
//     more versions than that destroys the oldest ones and moves
//     OldestVersion to the oldest kept version (OldestVersion stays 0 until
//     the first version is trimmed, as in Vault). Lowering MaxVersions with
//     SetMetadata takes effect at the next write.
//   - Check-and-set: PutOptions.CAS = &n writes only if the secret's
//     CurrentVersion is n; n = 0 writes only if the secret has no version
//     yet. A mismatch is a *CASError. When the secret's CASRequired or the
//     engine's CASRequired is set, a write without CAS fails with
//     ErrCASRequired.
//   - Soft delete (Delete, DeleteVersions) sets DeletionTime to now;
//     Undelete clears it (or reschedules it when a DeleteVersionAfter
//     applies); Destroy removes the data from storage for good and sets
//     Destroyed. Versions that are not kept or already destroyed are skipped
//     silently; a secret without metadata is not an error. These three leave
//     UpdatedTime alone; writes and SetMetadata set it.
//   - DeleteVersionAfter: each new version gets DeletionTime = creation time
//     plus the smaller non-zero of the secret's and the engine's
//     DeleteVersionAfter; from that time on it reads as deleted.
//   - Get of a deleted or destroyed version returns its *Version with nil
//     Data together with an error wrapping ErrNotFound: the server answers 404
//     with the version metadata in data.metadata and data.data null, as
//     Vault does. A version that does not exist (never written, trimmed, or
//     no secret at all) returns a nil *Version and ErrNotFound.
//   - Patch applies a JSON merge patch (RFC 7386) to the current version; it
//     returns ErrNotFound when the current version is missing, deleted or
//     destroyed. (A rollback is a client's read of an older version and a
//     write of it as a new one, as `ward kv rollback` does.)
//   - SetMetadata creates the metadata of a secret that has none (with
//     CurrentVersion 0, so a CAS write of 0 then succeeds); DeleteMetadata
//     removes every version and the metadata.
//   - List returns the names of secrets and "folder/" names directly below a
//     prefix, sorted; ErrNotFound when there are none. A secret whose
//     versions are all deleted or destroyed is still listed until its
//     metadata is deleted.
//
// # Values
//
// A value must be valid UTF-8 JSON whose top level is an object, without
// duplicate keys at any depth, without trailing data, and nested at most
// MaxDepth deep; otherwise the error wraps ErrInvalidValue and names the
// problem and its byte offset, never the value. Numbers are kept exactly as
// written (values are stored as compacted raw JSON, never decoded to
// float64). Merge patch output has its object keys sorted.
//
// # Paths
//
// Paths arrive canonical from the server and are checked again: non-empty, at
// most MaxPathLen bytes, no leading or trailing "/", no empty, "." or ".."
// segment, no NUL. A bad path is a *PathError wrapping ErrInvalidPath.
//
// # Storage layout
//
// Inside Config.Storage (the environment's encrypted, prefixed part of the
// store):
//
//	config                          the engine's EngineConfig (JSON)
//	m/<path>                        the secret's metadata (a compact binary record, see record.go)
//	v/<path>/<version, 20 digits>   one version's data: the compacted JSON value
//
// Each version lives at its own key so that the barrier's additional data
// (the full key) binds the ciphertext to both path and version. Every change
// is one storage Transaction: a write puts the new version, the metadata and
// deletes the trimmed versions atomically.
//
// # Concurrency
//
// All methods are safe for concurrent use. Changes to one path are
// serialized by a striped lock (different paths mostly proceed in parallel),
// so concurrent writers get distinct consecutive versions and exactly one
// writer wins each CAS value. Across processes on one shared store (ward
// servers on one PostgreSQL), Config.Locker extends that lock to every
// process, so versions never collide and CAS holds there too. The engine
// configuration is cached after the first read; ForgetConfig drops it when
// another process changed it.
package secrets
