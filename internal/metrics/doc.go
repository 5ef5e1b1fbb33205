// Package metrics is ward's Prometheus metrics, served in Prometheus' text
// format at GET /v1/sys/metrics (a policy-checked route: read on
// sys/metrics).
//
//	m := metrics.New(metrics.Options{Sealed: v.Sealed})
//	m.Request("{env}/data/{path...}", "GET", 200, "", took) // the server, per request
//	m.AuditBatch(took, err)                                  // audit.Config.OnBatch
//	m.Alert(a)                                               // detect.ServiceConfig.OnAlert
//	m.Rotation(string(ev.Kind))                              // the rotation engine's events
//	m.Register(collector)                                    // leases, rotations, ...
//	m.WriteText(w)
//
// # What is measured
//
//	ward_requests_total{route,method,code}             requests answered
//	ward_request_duration_seconds{route,method}        their latency
//	ward_denials_total{route}                          requests answered 403
//	ward_audit_writes_total / _failures_total          audit batches written / failed
//	ward_audit_write_duration_seconds                  their latency
//	ward_sealed                                        1 while sealed
//	ward_tokens_live                                   tokens not expired (Options.Tokens)
//	ward_leases_live, ward_lease_revocations_failing   leases (Options.Leases)
//	ward_secrets_due{reason,state}                     rotations and expiries due (Options.Due)
//	ward_rotations_total{result}                       rotation events (Rotation)
//	ward_alerts_total{detector}                        alerts raised
//	ward_detect_*                                      the detectors' counters (Options.Detect)
//
// A route label is a route table pattern ("{env}/data/{path...}"), never a
// request's path: no secret's path appears in a label unless the operator
// turns Options.PathLabels on (ward server --metrics-path-labels), which
// adds a path label (the canonical policy path, "prod/db/password") to the
// requests counter. Values and tokens never appear in any metric.
//
// # Adding a source
//
// Live leases and due secrets are counted by functions the server sets
// once the vault is open (SetLeases, SetDue); the rotation engine feeds
// Rotation from its event sink. Any other service with numbers of its own
// implements prometheus.Collector and is given to Register, once, at
// startup. Register refuses a collector whose metrics clash with ours.
package metrics
