// Package job is the supervising half of ward run: it prepares a child
// process's environment and secret files, starts the child in its own
// process group, forwards signals to it, streams its output through the
// masker and reports its exit code. Fetching and checking the secrets is the
// caller's job (package manifest resolves them).
//
// A caller needs four calls, in this order:
//
//	job.Harden()                                    // no core dump, not ptrace-able by others
//	dir, err := job.NewSecretsDir(job.Config{})     // when files are declared; removes stale ones
//	defer dir.Remove()
//	dir.Write(res.Files)
//	code, err := job.Supervise(job.Child{Args: args, Env: job.ChildEnv(os.Environ(), res, dir.Path), ...})
//
// # The secrets directory
//
// Files go to a private directory (0700) on a tmpfs: $XDG_RUNTIME_DIR, or
// /dev/shm when that is unset. Its name is "ward-run-PID-RANDOM", PID being
// ward's own, and ward holds an flock on it while it lives: Remove deletes it
// when the child ends (normally, on a signal or on a crash), and
// NewSecretsDir deletes the directories left behind by a ward that was killed
// with SIGKILL, recognised by the prefix, the owner, no lock, and a PID that
// no longer runs (or runs but is older than StaleAge: reused). Each file is created with O_EXCL and without
// following symlinks, through an os.Root, with the mode the manifest gives.
//
// # The environment
//
// ChildEnv is the parent's environment without ward's own credentials
// (WARD_TOKEN, WARD_ADDR, WARD_CONFIG_DIR, VAULT_TOKEN, VAULT_ADDR), plus the
// secrets, WARD_SECRETS_DIR when a directory was made, and WARD_MISSING: the
// comma-separated names of optional env vars and files that were left unset
// (empty when none), so a step can skip non-critical work.
//
// # The child
//
// Supervise starts the child in a process group of its own and forwards
// SIGINT, SIGTERM, SIGHUP and SIGQUIT to that group. When ward's stdin is a
// terminal and ward is in its foreground, the child's group is made the
// terminal's foreground group, so that it can read the terminal and receives
// ^C itself; ward takes the terminal back when the child ends. A ward in the
// background (ward run ... &) leaves its child in the background too. The child's stdout and stderr stay two streams,
// each through a mask.Writer of its own (with Child.MaskLater, the child
// starts while its masker is still being built, and its output waits in
// the pipes until the masker is ready); Supervise returns once the child has
// exited and both streams are drained (or, when a grandchild keeps a stream
// open, DrainTimeout after the child's exit). The exit code is the child's,
// or 128+N when signal N ended it.
//
// # Hidden files
//
// Child.Hide names files the child must not read although it runs as the
// same user (ward's token file). On Linux the child then runs under a small
// init, ward's own binary started again, in new user, mount and PID
// namespaces: the files are covered by /dev/null, /proc is the new PID
// namespace's, and every capability is dropped for good, so the child can
// neither unmount the cover nor reach the file through a process outside
// (isolate_linux.go says how). Where the kernel refuses (no unprivileged
// user namespaces) or on other systems, Child.Isolation decides: warn and
// run (IsolateAuto), refuse (IsolateRequire), or never try (IsolateOff).
// The init is package sandbox, which this package imports: its init
// function runs the isolating init among the binary's first, before the
// other packages' inits and main.
//
// # Watching (ward run --watch)
//
// A Watcher polls the versions of the secrets the child holds (Interval
// ±10%, an injected clock) and reports new versions and revocations. The
// caller answers through Child.Control: a new masker first (Control.Mask:
// the old values stay in it), then SecretsDir.Replace (each file written
// beside the old one and renamed over it) and a signal, or a restart, or a
// stop. Supervise serves these requests while the child runs.
//
// No secret value is ever put in argv, of ward or of the child.
package job
