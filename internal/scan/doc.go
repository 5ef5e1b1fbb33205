// Package scan finds credentials in files, archives, binaries and streams
// before they are kept or published: the last line of defence of a CI
// pipeline.
//
// Most callers need two things:
//
//	s, err := scan.New(scan.Config{})          // the embedded rules
//	res, err := s.Scan(ctx, []string{"dist/", "build.log"})
//
// ScanReader scans one stream (stdin, an artifact being uploaded) and
// ScanGit the lines every commit of a repository added. res.Findings say
// where each credential is (file, archive member, 1-based
// lines and byte columns), which rule found it, through which encoding
// (base64, hex, percent, JSON escapes) and, for secrets the vault issued,
// which path, field and version. A Finding never holds the secret or any
// prefix of it: its Fingerprint is an HMAC-SHA256 keyed by Config.Key.
// res.Skipped lists everything that could not be read in full (a truncated
// archive, a zip bomb stopped at Config.MaxBytes, nesting past
// Config.MaxDepth, a symlink not followed): a scan never reports a silent
// zero for something it did not read.
//
// How it works. Rules are data: rules.yaml, embedded, documents its own
// format at the top, and each rule carries true- and false-positive samples
// that TestRuleSamples checks; LoadRules adds or overrides rules from more
// files. One Aho-Corasick pass over the input finds every rule
// keyword, case-insensitively; a rule's regular expression runs only at its
// keyword hits, anchored there, over at most MaxLength bytes. Runs that
// look base64, hex, percent- or JSON-escaped are decoded and scanned again,
// to Config.MaxDecodeDepth levels. Large inputs are read in windows that
// overlap by the longest possible match (the Overlap constant), so a secret
// across a window boundary is still found and memory stays bounded whatever
// the input size.
//
// Containers are recognised by content, not by name: gzip, bzip2, tar,
// zip, and so tar.gz, docker save and OCI image layouts (tars of tars) and
// anything nested in them, to Config.MaxDepth levels. Every byte read,
// through every layer, counts against Config.MaxBytes for its input, which
// bounds the time a decompression bomb can take. Nothing is extracted: a
// zip nested in another container is spooled to a temporary file in
// Config.TempDir and removed; a "../" name is only a name.
//
// Known values (the vault's own secrets, found without their plaintext)
// are matched by the sub-package known; Config.Known plugs a set in. The
// sub-package report writes results as text, JSON or SARIF.
package scan
