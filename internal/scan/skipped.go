package scan

import "errors"

// Why an item was not read in full. A Skipped's Err wraps one of these;
// test with errors.Is.
var (
	ErrUnreadable = errors.New("cannot be read")
	ErrSymlink    = errors.New("symbolic link, not followed")
	ErrNotRegular = errors.New("not a regular file")
	ErrTooDeep    = errors.New("nested deeper than the archive depth limit (--max-depth)")
	ErrTooLarge   = errors.New("stopped at the byte limit for one input (--max-bytes): a decompression bomb or a very large input")
	ErrDamaged    = errors.New("damaged or truncated; scanned up to the damage")
)

// Skipped is an input, or a part of one, that was not scanned in full.
type Skipped struct {
	File   string
	Member string // path inside an archive, levels joined by "!"
	Err    error
}

func (s Skipped) Where() string {
	if s.Member == "" {
		return s.File
	}
	return s.File + "!" + s.Member
}
