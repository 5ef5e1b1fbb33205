// Package rotate is ward's rotation domain: it makes a secret's next value,
// puts it in place in two crash-safe phases, keeps the previous value valid
// for an overlap, retires it, reminds a person where no generator exists,
// and runs breach drills. It knows the vault only through small interfaces
// (Store, Target, Consumers, Catalog, Events), so it is tested without HTTP
// and wired into the vault by implementing them.
//
//	r := rotate.New(rotate.Config{Store: s, Targets: t, Consumers: c})
//	res, err := r.Rotate(ctx, "prod", "payments/stripe", rotate.Options{Reason: "manual"})
//	err = r.Recover(ctx)      // at start: finish or roll back what a crash left
//	n, err := r.Finish(ctx)   // retire old versions whose overlap is over
//
// # A rotation, step by step
//
//  1. The new value is made by package generate (ErrNeedsPerson when the
//     type has none) and written as a pending version, with a Record, in one
//     check-and-set transaction (ErrConflict if another writer got there
//     first: nothing is lost, nothing is left).
//  2. The target (if the secret has one) applies it and verifies that it
//     works; the Record moves to StateApplied. A target that fails rolls the
//     rotation back: the new value is disabled there, the pending version
//     destroyed, the old one stays current (ErrTarget).
//  3. The new version is made current (check-and-set on the old one); the
//     Record moves to StateCurrent, with the time.
//  4. The old value is retired — disabled at the target and its version
//     destroyed — when the overlap ends (metadata "overlap", default 24 h),
//     or as soon as every recipient has read the new version, whichever
//     comes first; at once when Options.NoOverlap is set (a drill).
//
// Recover, at start, reads every Record: one in StatePending is finished
// when the target already accepts the new value and rolled back otherwise;
// one in StateApplied is made current (or rolled back if another writer
// changed the secret). So after a crash at any step, the old or the new
// value is current and valid at the target, never neither.
//
// # Beyond one rotation
//
//   - Scheduler (NewScheduler) rotates every Engine's due Items: KV secrets
//     (the Rotator) and PostgreSQL static roles (StaticRoles); it retries
//     failures with backoff and turns a missing generator into a
//     "needs a person" event.
//   - Rotator.Retire ends a secret for good and leaves a Tombstone.
//   - Driller (NewDriller) runs a breach drill over a prefix and returns a
//     DrillReport (WriteText, or JSON as it is).
//   - LeaseManager adapts the lease manager; package rotatetest holds
//     in-memory implementations of every interface.
//
// Time comes from the configs' Now: tests drive overlaps with a fake clock.
package rotate
