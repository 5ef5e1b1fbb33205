// Package detect watches the vault's audit stream for unusual access to
// secrets and raises alerts that name identities, paths and rules, never
// values.
//
// An [Engine] reads audit events (live, from the entries the log writes, or
// parsed from a file's lines with [ParseLine], as [Engine.Replay] does:
// both give the same [Event]) and runs nine detectors over them, each
// against a baseline it learns per identity: a CI job (its role with its
// repository, ref and workflow), a user, or a token.
//
// Most callers want a [Service]: it puts an engine in front of the alert
// [Store] (list and ack), the audit log (each alert is an audit entry of its
// own, see [Alert.AuditEntry]) and a signed JSON [Webhook], and deduplicates
// and rate-limits alerts per detector and identity on the way:
//
//	svc := detect.NewService(detect.ServiceConfig{Config: cfg, Audit: log, Webhook: hook})
//	svc.Start(ctx)
//	svc.OfferEntries(batch)              // as audit.Config.OnEntries: the server's live feed, never blocks the writer
//	svc.Offer(line)                      // or one line at a time, copied
//	err := svc.Follow(ctx, path, nil)    // or the log file as it grows (a Follower)
//	err := svc.Replay(ctx, file)         // or a whole log
//	alerts := svc.Alerts(detect.Filter{Unacked: true})
//
// # Detectors
//
//	first_read         an identity reads a path it never read before
//	new_ci_context     a CI role is used from a repository, ref or workflow it never came from
//	cross_environment  a token of one environment asks for another's secrets
//	denial_burst       many denied requests by one identity in a short window
//	enumeration        many distinct paths, or many LISTs, in a short window
//	read_volume        reads in a window far above the identity's own usual count
//	unusual_hour       access at an hour of the day the identity never uses
//	token_addresses    one token used from two source addresses
//	sensitive_path     a read of a retired or break-glass secret
//
// Their thresholds are a [Config], which teams keep as code in the ward/
// directory's alerts.yaml (see package plan). Detectors that compare with a
// baseline stay quiet while an identity is new (Config.LearnFor), so a new
// pipeline does not raise a flood of alerts on its first day.
//
// # Time, memory and restarts
//
// Detection runs on the time written in each audit line, not the wall
// clock, so a replay gives the alerts the live feed gave. Memory is bounded:
// identities, tokens, CI roles and the paths of each identity are kept in
// least-recently-used sets of fixed size ([Limits]); what falls out is
// forgotten, and an identity seen again after that learns again (quiet)
// rather than alerting on everything. [Engine.Snapshot] and
// [Engine.Restore] carry the whole state across a restart as JSON;
// [Service.SaveState] and [Service.LoadState] keep it, with the alerts and
// their acknowledgements, in a directory (the server's data directory).
//
// # Bad input
//
// A line that is not an audit entry is counted ([Stats].Unparsable, with
// the line number of the last one) and skipped; it never stops the engine.
// Lines of type "alert" are skipped too, so alerts never feed back.
package detect
