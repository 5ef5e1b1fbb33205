package scan

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Config configures a Scanner. Its zero value scans with the embedded rules
// and the defaults below.
type Config struct {
	Rules          *RuleSet     // nil: DefaultRules
	Key            []byte       // fingerprint key; nil: 32 bytes from Rand, new for each Scanner
	Rand           io.Reader    // nil: crypto/rand
	Known          KnownMatcher // nil: no known-value matching
	MaxDepth       int          // archive and compression levels opened; 0: 8
	MaxDecodeDepth int          // decoding levels (base64 inside hex ...); 0: 2, -1: none
	MaxBytes       int64        // bytes read from one input, decompressed; 0: 4 GiB
	Jobs           int          // files scanned at once; 0: GOMAXPROCS
	Window         int          // bytes per window; 0: DefaultWindow
	TempDir        string       // where nested zip archives are spooled; "": os.TempDir()
	Gitignore      bool         // skip what .gitignore files in scanned directories ignore
	Stdin          io.Reader    // read for the path "-"; nil: os.Stdin
	Progress       func(bytes int64)
}

// Finding is one credential found. It never holds the secret: Fingerprint
// is a keyed hash of it.
type Finding struct {
	Rule        string `json:"rule"`
	Description string `json:"-"`
	Remediation string `json:"-"`
	File        string `json:"file"`
	Member      string `json:"member"`
	Commit      string `json:"commit,omitempty"` // for ScanGit: the commit that added the line
	StartLine   int    `json:"start_line"`
	EndLine     int    `json:"end_line"`
	StartColumn int    `json:"start_column"`
	EndColumn   int    `json:"end_column"`
	Fingerprint string `json:"fingerprint"`
	// FingerprintKey names the key of Fingerprint (KeyID), or is
	// EphemeralKey when the fingerprint cannot be seen again.
	FingerprintKey string    `json:"fingerprint_key"`
	Encoding       string    `json:"encoding"`
	Known          *KnownRef `json:"known"`
	Allowed        bool      `json:"allowed,omitempty"`
}

// Where is the finding's place as people write it: file, file!member.
func (f *Finding) Where() string {
	w := f.File
	if f.Member != "" {
		w += "!" + f.Member
	}
	if f.Commit != "" {
		w = f.Commit + ":" + w
	}
	return w
}

// Result is what a scan found and what it could not read.
type Result struct {
	Findings []Finding // sorted by file, member, line, column
	Skipped  []Skipped // everything not read in full, sorted by file, member
	Files    int64     // files and archive members scanned
	Bytes    int64     // bytes scanned, decompressed
}

// Scanner scans files, directories, archives and streams. It is safe for
// concurrent use.
type Scanner struct {
	cfg   Config
	keyID string // KeyID of cfg.Key, or EphemeralKey when it was drawn here
	ss    *streamScanner
	files atomic.Int64
	bytes atomic.Int64
}

// New returns a Scanner for cfg.
func New(cfg Config) (*Scanner, error) {
	if cfg.Rules == nil {
		rs, err := DefaultRules()
		if err != nil {
			return nil, err
		}
		cfg.Rules = rs
	}
	keyID := EphemeralKey
	if cfg.Key != nil {
		keyID = KeyID(cfg.Key)
	} else {
		r := cfg.Rand
		if r == nil {
			r = rand.Reader
		}
		cfg.Key = make([]byte, 32)
		if _, err := io.ReadFull(r, cfg.Key); err != nil {
			return nil, fmt.Errorf("fingerprint key: %w", err)
		}
	}
	if cfg.MaxDepth == 0 {
		cfg.MaxDepth = 8
	}
	switch cfg.MaxDecodeDepth {
	case 0:
		cfg.MaxDecodeDepth = 2
	case -1:
		cfg.MaxDecodeDepth = 0
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 4 << 30
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.GOMAXPROCS(0)
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Known != nil && cfg.Known.MaxLen() > Overlap {
		return nil, fmt.Errorf("known values: the longest encoded value is %d bytes, over the limit %d", cfg.Known.MaxLen(), Overlap)
	}
	size := cfg.Window + Overlap
	s := &Scanner{cfg: cfg, keyID: keyID}
	s.ss = &streamScanner{
		e:      &engine{rules: cfg.Rules, key: cfg.Key, decodeDepth: cfg.MaxDecodeDepth},
		known:  cfg.Known,
		window: cfg.Window,
		par:    runtime.GOMAXPROCS(0),
		pool:   &sync.Pool{New: func() any { b := make([]byte, 0, size); return &b }},
	}
	return s, nil
}

// collector gathers findings and skips from concurrent workers.
type collector struct {
	mu       sync.Mutex
	findings []Finding
	skipped  []Skipped
}

func (c *collector) add(f Finding)  { c.mu.Lock(); c.findings = append(c.findings, f); c.mu.Unlock() }
func (c *collector) skip(s Skipped) { c.mu.Lock(); c.skipped = append(c.skipped, s); c.mu.Unlock() }

// Scan scans each path: a file, a directory (recursively), or "-" for
// Config.Stdin. A path that cannot be read is reported in Result.Skipped,
// not as an error; the error is for a cancelled context.
func (s *Scanner) Scan(ctx context.Context, paths []string) (*Result, error) {
	var c collector
	jobs := make(chan string, 64)
	var wg sync.WaitGroup
	for range s.cfg.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if ctx.Err() != nil {
					continue
				}
				s.scanPath(ctx, p, &c)
			}
		}()
	}
	for _, p := range paths {
		if p == "-" {
			jobs <- p
			continue
		}
		s.walk(ctx, p, jobs, &c)
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.result(&c), nil
}

// ScanReader scans one stream (which may be an archive or compressed) and
// reports it under the name name.
func (s *Scanner) ScanReader(ctx context.Context, name string, r io.Reader) (*Result, error) {
	var c collector
	s.scanInput(ctx, name, r, nil, 0, &c)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.result(&c), nil
}

func (s *Scanner) result(c *collector) *Result {
	slices.SortFunc(c.findings, func(a, b Finding) int {
		return cmpAll(strings.Compare(a.Commit, b.Commit), strings.Compare(a.File, b.File), strings.Compare(a.Member, b.Member),
			a.StartLine-b.StartLine, a.StartColumn-b.StartColumn, a.EndLine-b.EndLine, a.EndColumn-b.EndColumn,
			strings.Compare(a.Rule, b.Rule))
	})
	slices.SortFunc(c.skipped, func(a, b Skipped) int {
		return cmpAll(strings.Compare(a.File, b.File), strings.Compare(a.Member, b.Member))
	})
	return &Result{Findings: c.findings, Skipped: c.skipped, Files: s.files.Load(), Bytes: s.bytes.Load()}
}

func cmpAll(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}

// walk sends the regular files under root to jobs, reporting what it
// cannot read or will not follow.
func (s *Scanner) walk(ctx context.Context, root string, jobs chan<- string, c *collector) {
	fi, err := os.Stat(root)
	if err != nil {
		c.skip(Skipped{File: root, Err: fmt.Errorf("%w: %v", ErrUnreadable, errors.Unwrap(err))})
		return
	}
	if !fi.IsDir() {
		jobs <- root
		return
	}
	var ign *ignorer
	if s.cfg.Gitignore {
		ign = newIgnorer(root)
	}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if ctx.Err() != nil {
			return filepath.SkipAll
		}
		if err != nil {
			c.skip(Skipped{File: p, Err: fmt.Errorf("%w: %v", ErrUnreadable, errors.Unwrap(err))})
			return nil
		}
		if d.IsDir() && d.Name() == ".git" && p != root {
			return filepath.SkipDir
		}
		if ign != nil && p != root && ign.ignored(p, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			if ign != nil {
				ign.enter(p)
			}
		case d.Type()&os.ModeSymlink != 0:
			c.skip(Skipped{File: p, Err: ErrSymlink})
		case d.Type().IsRegular():
			jobs <- p
		default:
			c.skip(Skipped{File: p, Err: ErrNotRegular})
		}
		return nil
	})
}

func (s *Scanner) scanPath(ctx context.Context, p string, c *collector) {
	if p == "-" {
		s.scanInput(ctx, "-", s.cfg.Stdin, nil, 0, c)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		c.skip(Skipped{File: p, Err: fmt.Errorf("%w: %v", ErrUnreadable, errors.Unwrap(err))})
		return
	}
	defer f.Close()
	var size int64 = -1
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	s.scanInput(ctx, p, f, &sizedReaderAt{f, size}, 0, c)
}

// finding is the Finding of sp, without its place in a file.
func (s *Scanner) finding(sp span) Finding {
	f := Finding{
		Rule: sp.m.rule.ID, Description: sp.m.rule.Description, Remediation: sp.m.rule.Remediation,
		StartLine: sp.startLine, EndLine: sp.endLine, StartColumn: sp.startColumn, EndColumn: sp.endColumn,
		Fingerprint: sp.m.fingerprint, FingerprintKey: s.keyID, Encoding: sp.m.encoding, Known: sp.known, Allowed: sp.allowed,
	}
	if sp.known != nil {
		f.FingerprintKey = EphemeralKey
	}
	return f
}

type sizedReaderAt struct {
	io.ReaderAt
	size int64
}
