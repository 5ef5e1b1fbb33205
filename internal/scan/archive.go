package scan

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// input is one top-level input being scanned: its name and the bytes it
// may still expand to.
type input struct {
	file   string
	budget int64
	c      *collector
}

// errBudget is what a budgeted reader returns once the input's bytes are
// spent.
var errBudget = errors.New("byte budget spent")

// budgetReader counts every byte read from an input, through every layer of
// decompression, against its budget.
type budgetReader struct {
	r  io.Reader
	in *input
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.in.budget <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > b.in.budget {
		p = p[:b.in.budget]
	}
	n, err := b.r.Read(p)
	b.in.budget -= int64(n)
	return n, err
}

func (s *Scanner) scanInput(ctx context.Context, file string, r io.Reader, ra *sizedReaderAt, depth int, c *collector) {
	in := &input{file: file, budget: s.cfg.MaxBytes, c: c}
	s.scanEntry(ctx, in, "", r, ra, depth)
}

type kind int

const (
	kindPlain kind = iota
	kindGzip
	kindBzip2
	kindZip
	kindTar
)

func sniff(head []byte) kind {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return kindGzip
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return kindBzip2
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return kindTar
	}
	return kindPlain
}

func joinMember(outer, inner string) string {
	if outer == "" {
		return inner
	}
	return outer + "!" + inner
}

// scanEntry scans one stream at member (within in.file), opening archives
// and compression it recognises by content. ra, when set, reads the same
// bytes at random (the file on disk) so a zip needs no copy.
func (s *Scanner) scanEntry(ctx context.Context, in *input, member string, r io.Reader, ra *sizedReaderAt, depth int) {
	if ctx.Err() != nil {
		return
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	k := sniff(head)
	if k != kindPlain && depth >= s.cfg.MaxDepth {
		in.c.skip(Skipped{File: in.file, Member: member, Err: ErrTooDeep})
		return
	}
	var err error
	switch k {
	case kindGzip:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(br); err == nil {
			s.scanEntry(ctx, in, member, &budgetReader{zr, in}, nil, depth+1)
		}
	case kindBzip2:
		s.scanEntry(ctx, in, member, &budgetReader{bzip2.NewReader(br), in}, nil, depth+1)
	case kindTar:
		err = s.scanTar(ctx, in, member, br, depth+1)
	case kindZip:
		err = s.scanZip(ctx, in, member, br, ra, depth+1)
	default:
		s.files.Add(1)
		s.scanPlain(ctx, in, member, br)
		return
	}
	if err != nil {
		in.c.skip(Skipped{File: in.file, Member: member, Err: classify(err)})
	}
}

func classify(err error) error {
	switch {
	case errors.Is(err, errBudget):
		return ErrTooLarge
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrDamaged), errors.Is(err, ErrTooDeep):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w (%v)", ErrDamaged, err)
}

func (s *Scanner) scanPlain(ctx context.Context, in *input, member string, r io.Reader) {
	n, err := s.ss.scan(ctx, r, func(sp span) {
		f := s.finding(sp)
		f.File, f.Member = in.file, member
		in.c.add(f)
	})
	s.bytes.Add(n)
	if s.cfg.Progress != nil {
		s.cfg.Progress(n)
	}
	if err != nil && ctx.Err() == nil {
		in.c.skip(Skipped{File: in.file, Member: member, Err: classify(err)})
	}
}

func (s *Scanner) scanTar(ctx context.Context, in *input, member string, r io.Reader, depth int) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := joinMember(member, h.Name)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			s.scanEntry(ctx, in, name, &budgetReader{tr, in}, nil, depth)
		case tar.TypeSymlink, tar.TypeLink:
			in.c.skip(Skipped{File: in.file, Member: name, Err: ErrSymlink})
		case tar.TypeDir, tar.TypeXGlobalHeader, tar.TypeXHeader:
		default:
			in.c.skip(Skipped{File: in.file, Member: name, Err: ErrNotRegular})
		}
		if in.budget <= 0 {
			return errBudget
		}
	}
}

// scanZip reads a zip archive: from the file on disk when ra is set, else
// from a copy spooled to a temporary file (counted against the budget and
// removed afterwards).
func (s *Scanner) scanZip(ctx context.Context, in *input, member string, r io.Reader, ra *sizedReaderAt, depth int) error {
	if ra == nil || ra.size < 0 {
		f, err := os.CreateTemp(s.cfg.TempDir, "ward-scan-*.zip")
		if err != nil {
			return fmt.Errorf("spool zip: %w", err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		n, err := io.Copy(f, &budgetReader{r, in})
		if err != nil {
			return err
		}
		ra = &sizedReaderAt{f, n}
	}
	zr, err := zip.NewReader(ra.ReaderAt, ra.size)
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		name := joinMember(member, zf.Name)
		mode := zf.Mode()
		switch {
		case mode&os.ModeSymlink != 0:
			in.c.skip(Skipped{File: in.file, Member: name, Err: ErrSymlink})
			continue
		case mode.IsDir() || strings.HasSuffix(zf.Name, "/"):
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			in.c.skip(Skipped{File: in.file, Member: name, Err: classify(err)})
			continue
		}
		s.scanEntry(ctx, in, name, &budgetReader{rc, in}, nil, depth)
		rc.Close()
		if in.budget <= 0 {
			return errBudget
		}
	}
	return nil
}
