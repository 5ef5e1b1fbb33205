package sandbox

import (
	"errors"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func init() {
	if v, _ := syscall.Getenv(InitEnv); v == "1" {
		os.Exit(initMain())
	}
}

// forwarded are the signals job.Supervise sends the child's process group,
// which includes the init.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// initMain is the isolating init; its exit code is the child's.
func initMain() int {
	runtime.LockOSThread() // capabilities are per thread: drop and fork on this one
	syscall.CloseOnExec(ReportFD)
	fail := func(msg string, err error) int {
		report(msg + ": " + err.Error())
		return 1
	}
	list, _ := syscall.Getenv(HideEnv)
	hide, err := decodeList(list)
	if err != nil {
		return fail("reading the files to hide", err)
	}
	env := childEnv(syscall.Environ())
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fail("making mounts private", err)
	}
	for _, p := range hide {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == syscall.ENOENT {
			continue
		}
		if err := syscall.Mount("/dev/null", p, "", syscall.MS_BIND, ""); err != nil {
			return fail("hiding "+p, err)
		}
	}
	if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fail("mounting a private /proc", err)
	}
	if err := dropPrivileges(); err != nil {
		return fail("dropping capabilities", err)
	}
	if len(os.Args) == 0 {
		return fail("starting", errors.New("no command"))
	}
	path, err := lookPath(os.Args[0], env)
	if err != nil {
		report(StartedMsg + err.Error())
		return 127
	}
	// The child gets the signals sent to its group itself; the init only
	// must not die of them before it does (handlers, not SIG_IGN, which
	// the child would inherit).
	signal.Notify(make(chan os.Signal, 1), forwarded...)
	pid, err := syscall.ForkExec(path, os.Args, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		report(StartedMsg + (&os.PathError{Op: "fork/exec", Path: path, Err: err}).Error())
		return 127
	}
	syscall.Close(ReportFD)
	return waitFor(pid)
}

// childEnv is the init's environment without the init's own variables.
func childEnv(env []string) []string {
	out := env[:0]
	for _, kv := range env {
		if !hasKey(kv, InitEnv) && !hasKey(kv, HideEnv) {
			out = append(out, kv)
		}
	}
	return out
}

func hasKey(kv, key string) bool {
	return len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key
}

// waitFor reaps every process that ends in the namespace (as its PID 1,
// the init inherits the child's orphans) until pid ends, and returns its
// status as an exit code: 128+N for signal N.
func waitFor(pid int) int {
	for {
		var st syscall.WaitStatus
		p, err := syscall.Wait4(-1, &st, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 1
		case p != pid:
			continue
		case st.Signaled():
			return 128 + int(st.Signal())
		}
		return st.ExitStatus()
	}
}

// report writes msg to the report pipe.
func report(msg string) {
	syscall.Write(ReportFD, []byte(msg))
}

// The prctl(2) options and flags that package syscall does not name.
const (
	prSetNoNewPrivs                  = 38
	prCapAmbient                     = 47
	prCapAmbientClearAll             = 4
	lastCap                          = 63 // above the kernel's last: dropping it says EINVAL
	secNoRoot, secNoRootLocked       = 1 << 0, 1 << 1
	secNoAmbient, secNoAmbientLocked = 1 << 6, 1 << 7
)

// dropPrivileges leaves the calling thread, and what it starts, no
// capability and no way to gain one: the bounding set emptied, root's
// exec privileges and ambient raising locked off, no_new_privs.
func dropPrivileges() error {
	for c := 0; c <= lastCap; c++ {
		if err := prctl(syscall.PR_CAPBSET_DROP, uintptr(c)); err != nil && err != syscall.EINVAL {
			return err
		}
	}
	if err := prctl(syscall.PR_SET_SECUREBITS, secNoRoot|secNoRootLocked|secNoAmbient|secNoAmbientLocked); err != nil {
		return err
	}
	if err := prctl(prCapAmbient, prCapAmbientClearAll); err != nil {
		return err
	}
	return prctl(prSetNoNewPrivs, 1)
}

func prctl(option, arg uintptr) error {
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, option, arg, 0, 0, 0, 0); e != 0 {
		return e
	}
	return nil
}
