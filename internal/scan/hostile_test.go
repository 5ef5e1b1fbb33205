package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func skippedWith(res *Result, target error) *Skipped {
	for i := range res.Skipped {
		if errors.Is(res.Skipped[i].Err, target) {
			return &res.Skipped[i]
		}
	}
	return nil
}

func TestZipBomb(t *testing.T) {
	// testdata/bomb.zip: 4 entries of 4 MiB of zeros, 16 KiB compressed.
	bomb, err := os.ReadFile("testdata/bomb.zip")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := scanBytes(t, Config{MaxBytes: 1 << 20}, bomb)
	if skippedWith(res, ErrTooLarge) == nil {
		t.Fatalf("a 16 MiB bomb was not stopped at 1 MiB: skipped %+v", res.Skipped)
	}
	if res.Bytes > 1<<20 {
		t.Errorf("read %d bytes past a 1 MiB budget", res.Bytes)
	}
	t.Logf("stopped after %v", time.Since(start))
}

func TestNestingBound(t *testing.T) {
	data := []byte(secretText)
	for range 6 {
		data = gz(t, data)
	}
	res := scanBytes(t, Config{MaxDepth: 3}, data)
	if skippedWith(res, ErrTooDeep) == nil || len(res.Findings) != 0 {
		t.Errorf("6 levels with a bound of 3: findings %d, skipped %+v", len(res.Findings), res.Skipped)
	}
	res = scanBytes(t, Config{MaxDepth: 6}, data)
	if len(only(res.Findings, "github-pat")) != 1 || len(res.Skipped) != 0 {
		t.Errorf("6 levels with a bound of 6: findings %+v, skipped %+v", res.Findings, res.Skipped)
	}
}

func TestArchiveLinksAndDotDot(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(filepath.Dir(tmp), "evil-"+filepath.Base(tmp))
	rel := "../../../../../../.." + outside
	for name, data := range map[string][]byte{
		"tar": tarOf(t, entry{name: "link", link: "/etc/passwd"}, entry{name: rel, data: []byte(secretText)}),
		"zip": zipOf(t, entry{name: "link", link: "/etc/passwd"}, entry{name: rel, data: []byte(secretText)}),
	} {
		t.Run(name, func(t *testing.T) {
			// Spool through a nested level so the zip goes to TempDir.
			res := scanBytes(t, Config{TempDir: tmp}, gz(t, data))
			if s := skippedWith(res, ErrSymlink); s == nil || s.Member != "link" {
				t.Errorf("symlink not reported: %+v", res.Skipped)
			}
			fs := only(res.Findings, "github-pat")
			if len(fs) != 1 || fs[0].Member != rel {
				t.Errorf("the ../ entry was not scanned as data: %+v", fs)
			}
			if _, err := os.Stat(outside); err == nil {
				t.Errorf("something was written outside the temporary directory")
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("spooled files left behind: %v", ents)
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	long := []byte(secretText + strings.Repeat("filler line of text\n", 20000))
	for name, data := range map[string][]byte{
		"gzip": gz(t, long),
		"tar":  tarOf(t, entry{name: "a.txt", data: long}),
		"zip":  zipOf(t, entry{name: "a.txt", data: long}),
	} {
		t.Run(name, func(t *testing.T) {
			cut := data[:len(data)*2/3]
			res := scanBytes(t, Config{}, gz(t, cut)) // nested, so no ReaderAt
			if skippedWith(res, ErrDamaged) == nil {
				t.Errorf("truncated %s not reported: %+v", name, res.Skipped)
			}
			if name != "zip" && len(only(res.Findings, "github-pat")) != 1 {
				t.Errorf("what was read before the damage was not scanned")
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.log")
	locked := filepath.Join(dir, "locked.log")
	os.WriteFile(locked, []byte(secretText), 0)
	s := newTestScanner(t, Config{})
	res, err := s.Scan(context.Background(), []string{missing, locked})
	if err != nil {
		t.Fatal(err)
	}
	if sk := skippedWith(res, ErrUnreadable); sk == nil || sk.File != missing {
		t.Errorf("missing file not reported: %+v", res.Skipped)
	}
	if os.Geteuid() != 0 && len(res.Skipped) != 2 {
		t.Errorf("unreadable file not reported: %+v", res.Skipped)
	}
}

func TestAllowMarker(t *testing.T) {
	text := "a=1\ntoken=" + tok + " # ward:allow test fixture\nb=" + strings.Replace(tok, "ghp_", "ghp_", 1) + "\n"
	res := scanBytes(t, Config{}, []byte(text))
	fs := only(res.Findings, "github-pat")
	if len(fs) != 2 || !fs[0].Allowed || fs[1].Allowed {
		t.Errorf("ward:allow: %+v", fs)
	}
}

// TestNothingLeaks checks that no field of any finding holds the secret or
// a prefix of it.
func TestNothingLeaks(t *testing.T) {
	res := scanBytes(t, Config{}, []byte(secretText))
	for _, f := range res.Findings {
		for _, s := range []string{f.Rule, f.File, f.Member, f.Fingerprint, f.Encoding, f.Description, f.Remediation} {
			if strings.Contains(s, tok[:8]) || strings.Contains(s, tok[4:12]) {
				t.Errorf("finding field %q holds part of the secret", s)
			}
		}
	}
}
