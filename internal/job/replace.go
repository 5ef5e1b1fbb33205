package job

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wardhq/ward/internal/manifest"
)

// tmpPrefix starts the name of a file Replace writes before renaming it
// into place. A program that lists the secrets directory should skip it.
const tmpPrefix = ".ward-tmp-"

// Replace gives each file its new content atomically: the value is written
// to a new file in the same directory (O_EXCL, no symlink followed, with
// the file's mode, 0600 by default), then renamed over the old one, so a
// reader sees the old content or the new, never a part. Directories on a
// new file's path are made (0700).
func (d *SecretsDir) Replace(files []manifest.FileValue) error {
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		if err := replaceFile(root, f); err != nil {
			return fmt.Errorf("replacing secret file %s: %w", f.Path, err)
		}
	}
	return nil
}

func replaceFile(root *os.Root, f manifest.FileValue) error {
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(f.Path), tmpPrefix+hex.EncodeToString(nonce[:]))
	if err := writeFile(root, manifest.FileValue{Path: tmp, Value: f.Value, Mode: f.Mode}); err != nil {
		root.Remove(tmp)
		return err
	}
	if fh, err := root.Open(tmp); err == nil {
		fh.Sync()
		fh.Close()
	}
	if err := root.Rename(tmp, f.Path); err != nil {
		root.Remove(tmp)
		return err
	}
	return nil
}

// RemoveFiles deletes the named files (paths relative to the directory),
// as when the secret they came from is revoked. A file already gone is not
// an error.
func (d *SecretsDir) RemoveFiles(paths []string) error {
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, p := range paths {
		if err := root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing secret file %s: %w", p, err)
		}
	}
	return nil
}
