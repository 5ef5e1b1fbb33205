package job

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wardhq/ward/internal/job/sandbox"
)

// How a child is isolated on Linux. Supervise starts ward's own binary
// again (/proc/self/exe) as a small init in new user, mount and PID
// namespaces, with its user and group mapped to themselves. That init
// (package sandbox, run from its init function, among the first of the
// binary, long before main):
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
//     waits for it, reaping the orphans it leaves, exiting with its status
//     (128+N for signal N).
//
// The init stays: as PID 1 it keeps the namespace alive, reaps, and is
// spared the signals it has no handler for, which the child as PID 1
// would be too (a SIGTERM would no longer end it). The child runs as the
// same user, sees the same files but the hidden ones, and as PID 2
// receives the signals Supervise sends its group.

// isolate makes cmd start the isolating init, which runs cmd's program.
// It returns the read end of the init's report pipe and a function that
// closes the write end once the init has started.
func isolate(cmd *exec.Cmd, hide []string) (*os.File, func(), error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Path = "/proc/self/exe"
	cmd.Err = nil                  // LookPath's verdict is the init's to give
	cmd.ExtraFiles = []*os.File{w} // sandbox.ReportFD
	cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], sandbox.InitEnv+"=1", sandbox.HideEnv+"="+sandbox.EncodeList(hide))
	uid, gid := os.Getuid(), os.Getgid()
	a := cmd.SysProcAttr
	a.Cloneflags |= unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
	a.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SETPCAP}
	return r, func() { w.Close() }, nil
}
