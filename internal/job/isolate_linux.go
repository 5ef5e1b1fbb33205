package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// How a child is isolated on Linux. Supervise starts ward's own binary
// again (/proc/self/exe) as a small init in new user, mount and PID
// namespaces, with its user and group mapped to themselves. That init
// (sandboxMain, run from this package's init function before main):
//
//  1. makes every mount private, so nothing it does reaches the host;
//  2. bind-mounts /dev/null over each file to hide, so reading it gives
//     nothing;
//  3. mounts a /proc of the new PID namespace over /proc, so no
//     /proc/PID/root of a process outside (ward's parent shell, say) leads
//     back to the real file;
//  4. drops every capability for good (the bounding set emptied, no
//     ambient ones, root's exec privileges locked off, no_new_privs), so
//     the child cannot unmount what hides the file: the mounts it could
//     make in a user namespace of its own inherit these as locked;
//  5. starts the child, reports on a pipe whether it got this far, and
//     waits for it, exiting with its status (128+N for signal N).
//
// The child runs as the same user, sees the same files but the hidden
// ones, and as PID 2 receives the signals Supervise sends its group.

const (
	sandboxEnv = "WARD_JOB_SANDBOX"      // set for the init: "1"
	hideEnv    = "WARD_JOB_SANDBOX_HIDE" // the files to hide, a JSON list
	reportFD   = 3                       // the init's report pipe
)

func init() {
	if os.Getenv(sandboxEnv) == "1" {
		os.Exit(sandboxMain())
	}
}

// isolate makes cmd start the isolating init, which runs cmd's program.
// It returns the read end of the init's report pipe and a function that
// closes the write end once the init has started.
func isolate(cmd *exec.Cmd, hide []string) (*os.File, func(), error) {
	list, err := json.Marshal(hide)
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Path = "/proc/self/exe"
	cmd.Err = nil // LookPath's verdict is the init's to give
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], sandboxEnv+"=1", hideEnv+"="+string(list))
	uid, gid := os.Getuid(), os.Getgid()
	a := cmd.SysProcAttr
	a.Cloneflags |= unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
	a.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SETPCAP}
	return r, func() { w.Close() }, nil
}

// sandboxMain is the isolating init; its exit code is the child's.
func sandboxMain() int {
	runtime.LockOSThread() // capabilities are per thread: drop and fork on this one
	report := os.NewFile(reportFD, "report")
	unix.CloseOnExec(reportFD)
	fail := func(msg string, err error) int {
		fmt.Fprintf(report, "%s: %v", msg, err)
		return 1
	}
	var hide []string
	if err := json.Unmarshal([]byte(os.Getenv(hideEnv)), &hide); err != nil {
		return fail("reading the files to hide", err)
	}
	os.Unsetenv(sandboxEnv)
	os.Unsetenv(hideEnv)
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fail("making mounts private", err)
	}
	for _, p := range hide {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := unix.Mount("/dev/null", p, "", unix.MS_BIND, ""); err != nil {
			return fail("hiding "+p, err)
		}
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fail("mounting a private /proc", err)
	}
	if err := dropPrivileges(); err != nil {
		return fail("dropping capabilities", err)
	}
	if len(os.Args) == 0 {
		return fail("starting", errors.New("no command"))
	}
	path, err := exec.LookPath(os.Args[0])
	if err != nil {
		fmt.Fprintf(report, "%s%v", startedMsg, err)
		return 127
	}
	cmd := exec.Command(path, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The child gets the signals sent to its group itself; the init only
	// must not die of them before it does (handlers, not SIG_IGN, which
	// the child would inherit).
	signal.Notify(make(chan os.Signal, 1), Forwarded...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(report, "%s%v", startedMsg, err)
		return 127
	}
	report.Close()
	cmd.Wait()
	st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return 1
	case st.Signaled():
		return 128 + int(st.Signal())
	}
	return st.ExitStatus()
}

// dropPrivileges leaves the calling thread, and what it starts, no
// capability and no way to gain one: the bounding set emptied, root's
// exec privileges and ambient raising locked off, no_new_privs.
func dropPrivileges() error {
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return err
		}
	}
	const (
		secNoRoot, secNoRootLocked       = 1 << 0, 1 << 1
		secNoAmbient, secNoAmbientLocked = 1 << 6, 1 << 7
	)
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, secNoRoot|secNoRootLocked|secNoAmbient|secNoAmbientLocked, 0, 0, 0); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}
