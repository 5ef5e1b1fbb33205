package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonicalPathAccepts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"staging/payments/db", "staging/payments/db"},
		{"staging/data/payments/db", "staging/data/payments/db"},
		{"staging/metadata/payments/", "staging/metadata/payments/"},
		{"sys/policies/acl/ci-api", "sys/policies/acl/ci-api"},
		{"a", "a"},
		{"a/", "a/"},
		{"staging/tls/client.pem", "staging/tls/client.pem"},
		{"staging/.env", "staging/.env"},
		{"staging/a..b", "staging/a..b"},
		{"staging/...", "staging/..."},
		{"staging/a-b_c.d~e@f+g=h,i:j", "staging/a-b_c.d~e@f+g=h,i:j"},
		{"staging/%61%62c", "staging/abc"},
		{"staging/%41", "staging/A"},
		{"staging/a%2Eb", "staging/a.b"},
		{"staging/%2eenv", "staging/.env"},
		{"staging/%7e", "staging/~"},
	}
	for _, tt := range tests {
		got, err := CanonicalPath(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCanonicalPathRefuses(t *testing.T) {
	tests := []struct {
		in     string
		index  int
		reason string
	}{
		{"", 0, reasonEmpty},
		{strings.Repeat("a", MaxPathLen+1), 0, reasonTooLong},
		// Dot segments, plain and encoded.
		{"a/../b", 2, reasonDots},
		{"a/./b", 2, reasonDots},
		{"..", 1, reasonDots},
		{".", 1, reasonDots},
		{"a/..", 2, reasonDots},
		{"a/../", 2, reasonDots},
		{"a/%2e%2e/b", 2, reasonDots},
		{"a/%2E%2E/b", 2, reasonDots},
		{"a/.%2e/b", 2, reasonDots},
		{"a/%2e./b", 2, reasonDots},
		{"a/%2e/b", 2, reasonDots},
		{"a/%252e%252e/b", 2, reasonUnsafe}, // double-encoded: "%" is not a path character
		// Empty segments.
		{"/", 1, reasonEmptySeg},
		{"/a", 1, reasonEmptySeg},
		{"a//b", 2, reasonEmptySeg},
		{"a//", 2, reasonEmptySeg},
		{"a/b//", 3, reasonEmptySeg},
		{"//a", 1, reasonEmptySeg},
		// Separators in disguise.
		{"a%2Fb", 1, reasonEncSep},
		{"a%2fb", 1, reasonEncSep},
		{"a/%2F", 2, reasonEncSep},
		{"a%5cb", 1, reasonEncSep},
		{"a%5Cb", 1, reasonEncSep},
		{"a\\b", 1, reasonBackslash},
		{"a/..\\b", 2, reasonBackslash},
		{"\\", 1, reasonBackslash},
		// NUL and control characters.
		{"%00", 1, reasonControl},
		{"a/b%00", 2, reasonControl},
		{"a\x00b", 1, reasonControl},
		{"%0a", 1, reasonControl},
		{"%0D%0A", 1, reasonControl},
		{"a\nb", 1, reasonControl},
		{"%09", 1, reasonControl},
		{"%7f", 1, reasonControl},
		{"%1b[31m", 1, reasonControl},
		// Broken escapes.
		{"%", 1, reasonEscape},
		{"a/%", 2, reasonEscape},
		{"%2", 1, reasonEscape},
		{"a%2", 1, reasonEscape},
		{"%zz", 1, reasonEscape},
		{"%g0", 1, reasonEscape},
		{"%0g", 1, reasonEscape},
		{"%%30", 1, reasonEscape},
		{"%-1", 1, reasonEscape},
		// Invalid UTF-8.
		{"%ff", 1, reasonUTF8},
		{"%c0%ae%c0%ae", 1, reasonUTF8}, // overlong "..", the classic traversal
		{"%c0%af", 1, reasonUTF8},       // overlong "/"
		{"%e0%80%af", 1, reasonUTF8},    // overlong "/", three bytes
		{"%ed%a0%80", 1, reasonUTF8},    // a UTF-16 surrogate
		{"a\xffb", 1, reasonUTF8},
		{"%80", 1, reasonUTF8},
		// Unicode look-alikes and tricks.
		{"a%ef%bc%8fb", 1, reasonNonASCII},        // U+FF0F fullwidth solidus
		{"a%e2%88%95b", 1, reasonNonASCII},        // U+2215 division slash
		{"a%e2%81%84b", 1, reasonNonASCII},        // U+2044 fraction slash
		{"%ef%bc%8e%ef%bc%8e", 1, reasonNonASCII}, // U+FF0E fullwidth full stops
		{"a%e2%80%ae", 1, reasonNonASCII},         // U+202E right-to-left override
		{"a%e2%80%8bb", 1, reasonNonASCII},        // U+200B zero-width space
		{"a%ef%bb%bf", 1, reasonNonASCII},         // U+FEFF byte order mark
		{"%d0%b0", 1, reasonNonASCII},             // Cyrillic a
		{"e%cc%81", 1, reasonNonASCII},            // combining acute accent
		{"a%c2%a0b", 1, reasonNonASCII},           // no-break space
		{"a%c2%85b", 1, reasonNonASCII},           // U+0085 next line
		{"caf\u00e9", 1, reasonNonASCII},
		{"staging/\u2215etc", 2, reasonNonASCII},
		// Outside the safe set.
		{"a%20b", 1, reasonUnsafe},
		{"a b", 1, reasonUnsafe},
		{"a*", 1, reasonUnsafe},
		{"%2a", 1, reasonUnsafe},
		{"a%25", 1, reasonUnsafe},
		{"a?b", 1, reasonUnsafe},
		{"a%3fb", 1, reasonUnsafe},
		{"a#b", 1, reasonUnsafe},
		{"a%23b", 1, reasonUnsafe},
		{"a;b", 1, reasonUnsafe},
		{"a/b%22", 2, reasonUnsafe},
		{"a/$(id)", 2, reasonUnsafe},
		{"a/<b>", 2, reasonUnsafe},
	}
	for _, tt := range tests {
		got, err := CanonicalPath(tt.in)
		var pe *PathError
		if !errors.As(err, &pe) || !errors.Is(err, ErrBadPath) {
			t.Errorf("CanonicalPath(%q) = %q, %v; want a *PathError", tt.in, got, err)
			continue
		}
		if got != "" || pe.Index != tt.index || pe.Reason != tt.reason {
			t.Errorf("CanonicalPath(%q) = %q, segment %d %q; want segment %d %q", tt.in, got, pe.Index, pe.Reason, tt.index, tt.reason)
		}
	}
}

// TestPathErrorQuotesNothing checks that a refused path's bytes stay out of
// the message: a token pasted into a URL must not reach a log through it.
func TestPathErrorQuotesNothing(t *testing.T) {
	const secret = "s3cr3tTokenValue"
	for _, in := range []string{
		"a/" + secret + "%00",
		secret + "/../x",
		"a//" + secret,
		secret + "%2F",
		secret + "%zz",
		secret + "%ff",
		secret + " x",
	} {
		_, err := CanonicalPath(in)
		if err == nil {
			t.Fatalf("CanonicalPath accepted a hostile path of %d bytes", len(in))
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "s3cr") {
			t.Errorf("error for a hostile path repeats its bytes: %v", err)
		}
	}
}
