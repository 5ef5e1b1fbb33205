package scan

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// ErrBinaryHistory marks a binary file in git history: git log shows no
// lines for it, so it was not scanned.
var ErrBinaryHistory = errors.New("binary file in git history, not scanned (scan a checkout of that commit)")

// maxGitChunk bounds the added lines of one file in one commit held at once.
const maxGitChunk = 64 << 20

// ScanGit scans the lines each commit added in the git repository at dir,
// through the git binary ("git log -p"). logArgs are passed on to git log
// (for example "--all", or a range "main..HEAD"); with none, the history of
// HEAD is scanned. Findings name the commit, the file and the line in the
// file as of that commit.
func (s *Scanner) ScanGit(ctx context.Context, dir string, logArgs ...string) (*Result, error) {
	args := append([]string{"-C", dir, "log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-renames",
		"--diff-filter=AMT", "--first-parent", "-m", "--format=commit %H"}, logArgs...)
	return s.scanGitOutput(ctx, dir, args)
}

// ScanGitSince scans the lines the commits after rev added, up to HEAD
// (git log rev..HEAD). rev must name a commit; it may not start with "-".
func (s *Scanner) ScanGitSince(ctx context.Context, dir, rev string) (*Result, error) {
	if rev == "" || strings.HasPrefix(rev, "-") || strings.Contains(rev, "..") {
		return nil, fmt.Errorf("%w: %q", ErrBadRevision, rev)
	}
	return s.ScanGit(ctx, dir, rev+"..HEAD")
}

// ErrBadRevision marks a revision ScanGitSince refuses: empty, an option
// (leading "-") or already a range.
var ErrBadRevision = errors.New("not a single revision")

// ScanStaged scans the lines the index (the staging area) of the git
// repository at dir adds to HEAD: what "git commit" would record. Findings
// carry no commit (there is none yet), the file and the line in the staged
// file. In a repository without commits, every staged line is scanned.
func (s *Scanner) ScanStaged(ctx context.Context, dir string) (*Result, error) {
	return s.scanGitOutput(ctx, dir, []string{"-C", dir, "diff", "--cached", "-p", "-U0", "--no-color",
		"--no-ext-diff", "--no-renames", "--diff-filter=AMT", "--no-textconv"})
}

// scanGitOutput runs git with args and scans the added lines of the patch
// it prints.
func (s *Scanner) scanGitOutput(ctx context.Context, dir string, args []string) (*Result, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git %s: %w", args[2], err)
	}
	var c collector
	perr := s.parseGitLog(ctx, out, &c)
	io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, perr
	}
	if werr != nil {
		return nil, fmt.Errorf("git %s in %s: %v: %s", args[2], dir, werr, firstLine(stderr.String()))
	}
	return s.result(&c), nil
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// gitChunk is the added lines of one file in one commit.
type gitChunk struct {
	commit, file string
	text         []byte
	lines        []int // line number in the file of each line of text
	truncated    bool
}

func (s *Scanner) parseGitLog(ctx context.Context, r io.Reader, c *collector) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var ch *gitChunk
	var commit string
	next := 0 // line number of the next added line in the current hunk
	flush := func() {
		if ch != nil && len(ch.lines) > 0 {
			s.scanGitChunk(ctx, ch, c)
		}
		ch = nil
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte{'\n'})
			switch {
			case bytes.HasPrefix(line, []byte("commit ")):
				flush()
				commit = string(line[len("commit "):])
			case bytes.HasPrefix(line, []byte("diff --git ")):
				flush()
			case bytes.HasPrefix(line, []byte("+++ ")):
				name := string(line[4:])
				if len(name) > 2 && name[:2] == "b/" {
					name = name[2:]
				}
				if name != "/dev/null" {
					ch = &gitChunk{commit: commit, file: name}
				}
			case bytes.HasPrefix(line, []byte("Binary files ")):
				c.skip(Skipped{File: "git:" + cmp.Or(commit, "index"), Member: string(line), Err: ErrBinaryHistory})
			case bytes.HasPrefix(line, []byte("@@ ")):
				next = hunkStart(line)
			case ch != nil && len(line) > 0 && line[0] == '+':
				if len(ch.text)+len(line) > maxGitChunk {
					ch.truncated = true
				} else {
					ch.text = append(append(ch.text, line[1:]...), '\n')
					ch.lines = append(ch.lines, next)
				}
				next++
			}
		}
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// hunkStart reads c from "@@ -a,b +c,d @@".
func hunkStart(line []byte) int {
	i := bytes.Index(line, []byte(" +"))
	if i < 0 {
		return 1
	}
	rest := line[i+2:]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil {
		return 1
	}
	return n
}

func (s *Scanner) scanGitChunk(ctx context.Context, ch *gitChunk, c *collector) {
	s.files.Add(1)
	n, _ := s.ss.scan(ctx, bytes.NewReader(ch.text), func(sp span) {
		f := s.finding(sp)
		f.File, f.Commit = ch.file, ch.commit
		f.StartLine, f.EndLine = ch.lines[sp.startLine-1], ch.lines[min(sp.endLine, len(ch.lines))-1]
		c.add(f)
	})
	s.bytes.Add(n)
	if ch.truncated {
		c.skip(Skipped{File: ch.file, Member: "commit " + ch.commit, Err: ErrTooLarge})
	}
}
