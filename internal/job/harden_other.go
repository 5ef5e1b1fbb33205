//go:build !linux

package job

// setNonDumpable does nothing here: the core limit of 0 is what keeps
// secrets out of core files.
func setNonDumpable() error { return nil }
