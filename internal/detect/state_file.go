package detect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Service.SaveState and LoadState carry a live service across restarts:
// the server keeps both files in its data directory. Neither holds a
// value: baselines name identities, paths and addresses, alerts name
// identities, paths and rules. Both are written 0600, atomically.
const (
	StateFile  = "detect-state.json"  // the engine's baselines (Engine.Snapshot)
	AlertsFile = "detect-alerts.json" // the alert store, with acks (Store.Snapshot)
)

// SaveState writes the engine's baselines and the alert store to dir's
// StateFile and AlertsFile. Call Flush first so that every line offered
// is in them.
func (s *Service) SaveState(dir string) error {
	if err := s.eng.SaveFile(filepath.Join(dir, StateFile)); err != nil {
		return fmt.Errorf("saving the detectors' baselines: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, AlertsFile), s.store.Snapshot); err != nil {
		return fmt.Errorf("saving the alerts: %w", err)
	}
	return nil
}

// LoadState restores what SaveState wrote in dir. Missing files are not an
// error (a first start); a damaged one is, naming the file: move it aside
// to start afresh.
func (s *Service) LoadState(dir string) error {
	if err := s.eng.LoadFile(filepath.Join(dir, StateFile)); err != nil {
		return err
	}
	path := filepath.Join(dir, AlertsFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := s.store.Restore(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
