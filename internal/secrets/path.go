package secrets

import (
	"strconv"
	"strings"
)

// MaxPathLen is the longest secret path the engine accepts, so that its
// storage keys stay well inside storage.MaxKeyLen under any prefix the vault
// adds.
const MaxPathLen = 512

// versionDigits is the fixed width of the version in a data key.
const versionDigits = 20

// CheckPath reports whether p is a canonical secret path: non-empty, at most
// MaxPathLen bytes, no leading or trailing "/", no empty, "." or ".."
// segment, no NUL byte. The error is a *PathError.
func CheckPath(p string) error {
	bad := func(reason string) error { return &PathError{Path: p, Reason: reason} }
	switch {
	case p == "":
		return bad("empty; name a secret, like payments/db")
	case len(p) > MaxPathLen:
		return &PathError{Path: p[:32] + "…", Reason: "longer than " + strconv.Itoa(MaxPathLen) + " bytes"}
	case strings.IndexByte(p, 0) >= 0:
		return bad("contains a NUL byte")
	case p[0] == '/':
		return bad("starts with /")
	case p[len(p)-1] == '/':
		return bad("ends with /")
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return bad("has an empty segment (//)")
		case ".", "..":
			return bad("has a " + seg + " segment")
		}
	}
	return nil
}

// checkPrefix accepts "" or a canonical path followed by "/".
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if !strings.HasSuffix(prefix, "/") {
		return &PathError{Path: prefix, Reason: "a list prefix must be empty or end with /"}
	}
	return CheckPath(strings.TrimSuffix(prefix, "/"))
}

func metaKey(p string) string { return "m/" + p }

// MetadataPath is the secret path whose metadata record is key, a key of
// the engine's storage (Config.Storage); false for any other record. A
// cache that watches the engine's writes uses it.
func MetadataPath(key string) (string, bool) { return strings.CutPrefix(key, "m/") }

func versionsPrefix(p string) string { return "v/" + p + "/" }

func versionKey(p string, version int) string {
	var buf [versionDigits]byte
	for i := range buf {
		buf[i] = '0'
	}
	s := strconv.AppendInt(buf[:0:0], int64(version), 10)
	copy(buf[versionDigits-len(s):], s)
	return versionsPrefix(p) + string(buf[:])
}

const configKey = "config"

func itoa(n int) string { return strconv.Itoa(n) }
