package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
)

// flakyFile is a real log file whose writes can be made to fail after
// writing part of their bytes, as on a disk that fills up mid-write.
type flakyFile struct {
	logFile
	fail    *atomic.Bool
	partial int // bytes written before a failing write fails
}

func (f *flakyFile) Write(p []byte) (int, error) {
	if !f.fail.Load() {
		return f.logFile.Write(p)
	}
	n, _ := f.logFile.Write(p[:min(f.partial, len(p))])
	return n, syscall.EIO
}

func TestWriteFailsClosedAndRecovers(t *testing.T) {
	for _, partial := range []int{0, 1, 100, 1 << 20} {
		cfg := testConfig(t)
		var fail atomic.Bool
		cfg.openFile = func(path string) (logFile, error) {
			f, err := openFile(path)
			if err != nil {
				return nil, err
			}
			return &flakyFile{logFile: f, fail: &fail, partial: partial}, nil
		}
		l := openTest(t, cfg)
		writeN(t, l, 0, 2)
		fail.Store(true)
		for i := range 3 {
			err := l.Write(context.Background(), entry(2+i))
			var we *WriteError
			if !errors.As(err, &we) || !errors.Is(err, syscall.EIO) {
				t.Fatalf("partial %d: Write on a failing file: %v, want *WriteError wrapping EIO", partial, err)
			}
			mustVerify(t, cfg.Path, 2)
		}
		fail.Store(false)
		writeN(t, l, 10, 2)
		mustVerify(t, cfg.Path, 4)
	}
}

// TestDevFull writes to /dev/full, where every write fails with ENOSPC.
func TestDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	cfg := testConfig(t)
	cfg.Path = "/dev/full"
	cfg.openFile = func(path string) (logFile, error) { return os.OpenFile(path, os.O_RDWR, 0) }
	l := openTest(t, cfg)
	err := l.Write(context.Background(), entry(0))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write to /dev/full: %v, want ENOSPC", err)
	}
	if err := l.Write(context.Background(), entry(1)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("second Write to /dev/full: %v, want ENOSPC", err)
	}
}

// TestFullDisk fills a small tmpfs, then frees it: writes fail while it is
// full, the log stays verifiable, and writes succeed once there is room.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	cfg := testConfig(t)
	cfg.Path = filepath.Join(dir, "audit.log")
	l := openTest(t, cfg)
	writeN(t, l, 0, 3)

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1024)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	// Fill the log's last page too, so that its next line cannot fit.
	var failed error
	for i := 3; i < 200 && failed == nil; i++ {
		failed = l.Write(context.Background(), entry(i))
	}
	if !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("Write on a full disk: %v, want ENOSPC", failed)
	}
	n, err := verifyFile(t, cfg.Path)
	if err != nil {
		t.Fatalf("Verify after ENOSPC: %v", err)
	}
	if err := l.Write(context.Background(), entry(1000)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write on a still full disk: %v, want ENOSPC", err)
	}
	os.Remove(filler)
	writeN(t, l, 1001, 2)
	mustVerify(t, cfg.Path, n+2)
}

func TestFileRemoved(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	if err := os.Remove(cfg.Path); err != nil {
		t.Fatal(err)
	}
	err := l.Write(context.Background(), entry(2))
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("Write after the file was removed: %v, want *WriteError", err)
	}
	writeN(t, l, 3, 2)
	// The new file goes on from the old chain, so it does not verify alone:
	// it shows that what came before it is gone.
	n, err := verifyFile(t, cfg.Path)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Line != 1 || !errors.Is(err, ErrBroken) || n != 0 {
		t.Fatalf("Verify of the re-created file = %d, %v; want a break at line 1", n, err)
	}
	fi, _ := os.Stat(cfg.Path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("re-created file mode = %v, want 0600", fi.Mode().Perm())
	}
}

// syncFailFile is a real log file whose fsync fails.
type syncFailFile struct{ logFile }

func (syncFailFile) Sync() error { return syscall.EIO }

// TestSyncFails: with Config.Sync, a line that cannot be fsynced fails its
// Write and is taken out of the file again.
func TestSyncFails(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	l.Close()
	cfg.Sync = true
	cfg.openFile = func(path string) (logFile, error) {
		f, err := openFile(path)
		if err != nil {
			return nil, err
		}
		return syncFailFile{f}, nil
	}
	l = openTest(t, cfg)
	if err := l.Write(context.Background(), entry(2)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Write with a failing fsync: %v, want EIO", err)
	}
	mustVerify(t, cfg.Path, 2)
}

// TestFailAfterExternalTruncate: after someone empties the log (as logrotate's
// copytruncate does), a failed write takes out only its own bytes: the file
// is never extended with zeros to the length it had before.
func TestFailAfterExternalTruncate(t *testing.T) {
	cfg := testConfig(t)
	var fail atomic.Bool
	cfg.openFile = func(path string) (logFile, error) {
		f, err := openFile(path)
		if err != nil {
			return nil, err
		}
		return &flakyFile{logFile: f, fail: &fail, partial: 50}, nil
	}
	l := openTest(t, cfg)
	writeN(t, l, 0, 5)
	if err := os.Truncate(cfg.Path, 0); err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 5, 1)
	before, _ := os.ReadFile(cfg.Path)
	fail.Store(true)
	if err := l.Write(context.Background(), entry(6)); err == nil {
		t.Fatal("Write succeeded on a failing file")
	}
	if after, _ := os.ReadFile(cfg.Path); string(after) != string(before) {
		t.Fatalf("after a failed write the file is %d bytes, want the %d it had", len(after), len(before))
	}
	fail.Store(false)
	writeN(t, l, 7, 1)
	if after, _ := os.ReadFile(cfg.Path); bytes.IndexByte(after, 0) >= 0 {
		t.Fatal("the log holds zero bytes")
	}
}

// TestReadOnlyFile makes the log immutable (chattr +i, which stops root too,
// where chmod does not): writes fail, and succeed again once it is writable.
func TestReadOnlyFile(t *testing.T) {
	cfg := testConfig(t)
	l := openTest(t, cfg)
	writeN(t, l, 0, 2)
	if out, err := exec.Command("chattr", "+i", cfg.Path).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", cfg.Path).Run() })
	for i := range 2 {
		if err := l.Write(context.Background(), entry(2+i)); !errors.Is(err, syscall.EPERM) {
			t.Fatalf("Write to an immutable file: %v, want EPERM", err)
		}
	}
	mustVerify(t, cfg.Path, 2)
	if err := exec.Command("chattr", "-i", cfg.Path).Run(); err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 4, 1)
	mustVerify(t, cfg.Path, 3)
}
