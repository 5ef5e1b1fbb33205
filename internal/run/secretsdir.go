package run

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
}

// SecretsDir is a private directory holding a child's secret files.
type SecretsDir struct {
	Path string // absolute path, also WARD_SECRETS_DIR
	// Stale lists the directories of dead wards that NewSecretsDir removed.
	Stale []string
}

// NewSecretsDir removes the stale secrets directories under the base and
// makes a new, empty one, mode 0700.
func NewSecretsDir(cfg Config) (*SecretsDir, error) {
	base, err := cfg.base()
	if err != nil {
		return nil, err
	}
	stale := RemoveStale(base, cfg.alive())
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
	return &SecretsDir{Path: path, Stale: stale}, nil
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
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chmod(f.Path, mode) // the umask may have cleared bits
	}
	return err
}

// Remove deletes the directory and everything in it.
func (d *SecretsDir) Remove() error { return os.RemoveAll(d.Path) }

// RemoveStale deletes the secrets directories under base that belong to
// this user and whose ward PID is not alive, and returns their paths.
// Anything else under base is left alone.
func RemoveStale(base string, alive func(pid int) bool) []string {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		pid, ok := dirPID(e.Name())
		if !ok || !e.IsDir() || alive(pid) {
			continue
		}
		path := filepath.Join(base, e.Name())
		fi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
			continue
		}
		if os.RemoveAll(path) == nil {
			removed = append(removed, path)
		}
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
