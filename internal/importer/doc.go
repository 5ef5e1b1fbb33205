// Package importer brings secrets into ward from where a team keeps them
// today: a HashiCorp Vault or OpenBao KV v2 tree, and .env files.
//
// An import is two steps. A source yields [Secret] values (a path, its
// fields, its custom metadata); [Run] then compares each with what the
// target environment holds and writes only what differs, so running the
// same import twice changes nothing the second time:
//
//	secrets, err := importer.ParseDotEnv(f, "payments/api")
//	summary, err := importer.Run(ctx, secrets, target, importer.Options{DryRun: true})
//
// Values stay in memory: no source or target writes them to argv, a
// temporary file, a log or an error. Errors name files, lines, paths and
// field names, never values.
package importer
