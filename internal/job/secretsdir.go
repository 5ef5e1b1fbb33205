package job

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardhq/ward/internal/manifest"
)

// DirPrefix starts the name of every secrets directory ward run makes.
const DirPrefix = "ward-run-"

// ErrNoTmpfs is returned by NewSecretsDir when neither $XDG_RUNTIME_DIR nor
// /dev/shm is a usable directory.
var ErrNoTmpfs = errors.New("no tmpfs for secret files: neither $XDG_RUNTIME_DIR nor /dev/shm is a directory")

// Config says where secrets directories go and how they are named. The
// zero value is the real system.
type Config struct {
	// Base is the directory holding secrets directories. "": the
	// environment's $XDG_RUNTIME_DIR, else /dev/shm.
	Base string
	// PID is ward's process ID, part of the directory's name. 0: os.Getpid().
	PID int
	// Alive reports whether a process runs; a stale directory is one whose
	// PID does not. nil: kill(pid, 0) does not fail with ESRCH.
	Alive func(pid int) bool
	// Rand supplies the random part of the name. nil: crypto/rand.
	Rand io.Reader
	// Now is the time a directory's age is measured at. nil: time.Now.
	Now func() time.Time
}

// StaleAge is how old an unlocked secrets directory of a live PID must be
// to be stale: the PID is then another program's, reused. A younger one may
// belong to a ward that has made it and not yet locked it.
const StaleAge = time.Minute

// SecretsDir is a private directory holding a child's secret files.
type SecretsDir struct {
	Path string // absolute path, also WARD_SECRETS_DIR
	// Stale lists the directories of dead wards that NewSecretsDir removed.
	Stale []string
	lock  *os.File // the directory, flock'ed while ward lives
}

// NewSecretsDir removes the stale secrets directories under the base and
// makes a new, empty one, mode 0700.
func NewSecretsDir(cfg Config) (*SecretsDir, error) {
	base, err := cfg.base()
	if err != nil {
		return nil, err
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	stale := RemoveStale(base, cfg.alive(), now())
	pid := cfg.PID
	if pid == 0 {
		pid = os.Getpid()
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	var nonce [8]byte
	if _, err := io.ReadFull(r, nonce[:]); err != nil {
		return nil, fmt.Errorf("naming the secrets directory: %w", err)
	}
	path := filepath.Join(base, DirPrefix+strconv.Itoa(pid)+"-"+hex.EncodeToString(nonce[:]))
	if err := os.Mkdir(path, 0o700); err != nil {
		return nil, fmt.Errorf("making the secrets directory: %w", err)
	}
	lock, ok := tryLock(path)
	if !ok {
		os.RemoveAll(path)
		return nil, fmt.Errorf("locking the secrets directory %s", path)
	}
	return &SecretsDir{Path: path, Stale: stale, lock: lock}, nil
}

func (cfg Config) base() (string, error) {
	candidates := []string{cfg.Base}
	if cfg.Base == "" {
		candidates = []string{os.Getenv("XDG_RUNTIME_DIR"), "/dev/shm"}
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); c != "" && err == nil && fi.IsDir() {
			return c, nil
		}
	}
	return "", ErrNoTmpfs
}

func (cfg Config) alive() func(int) bool {
	if cfg.Alive != nil {
		return cfg.Alive
	}
	return func(pid int) bool { return syscall.Kill(pid, 0) != syscall.ESRCH }
}

// Write creates each file under the directory with its mode, making the
// directories on its path (0700). A file that exists already, or a path
// that leaves the directory, is an error.
func (d *SecretsDir) Write(files []manifest.FileValue) error {
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		if err := writeFile(root, f); err != nil {
			return fmt.Errorf("writing secret file %s: %w", f.Path, err)
		}
	}
	return nil
}

func writeFile(root *os.Root, f manifest.FileValue) error {
	if dir := filepath.Dir(f.Path); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	mode := f.Mode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	fh, err := root.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return err
	}
	_, err = fh.Write(f.Value)
	if err == nil {
		err = fh.Chmod(mode) // the umask may have cleared bits
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// Remove deletes the directory and everything in it, and releases its lock.
func (d *SecretsDir) Remove() error {
	err := os.RemoveAll(d.Path)
	if d.lock != nil {
		d.lock.Close()
	}
	return err
}

// tryLock opens the directory and takes an exclusive flock on it without
// waiting. The lock lasts as long as the returned file is open, or the
// process lives: the kernel releases it when ward dies, even by SIGKILL.
// The file is close-on-exec, so the child does not hold the lock.
func tryLock(path string) (*os.File, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// RemoveStale deletes the secrets directories under base that belong to
// this user, are not locked by a running ward, and whose ward PID is not
// alive or that are older than StaleAge (the PID was reused), and returns
// their paths. Anything else under base is left alone.
func RemoveStale(base string, alive func(pid int) bool, now time.Time) []string {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		pid, ok := dirPID(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		path := filepath.Join(base, e.Name())
		fi, err := os.Lstat(path)
		if err != nil || !fi.IsDir() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
			continue
		}
		if alive(pid) && now.Sub(fi.ModTime()) < StaleAge {
			continue
		}
		lock, ok := tryLock(path)
		if !ok {
			continue // a running ward's
		}
		if os.RemoveAll(path) == nil {
			removed = append(removed, path)
		}
		lock.Close()
	}
	return removed
}

// dirPID parses the PID out of a secrets directory's name.
func dirPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, DirPrefix)
	if !ok {
		return 0, false
	}
	p, _, ok := strings.Cut(rest, "-")
	if !ok || p == "" || strings.Trim(p, "0123456789") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}
