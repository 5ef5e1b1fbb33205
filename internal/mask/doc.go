// Package mask hides secret values in streams of text: the output of a CI job
// that ward runs, or any log piped through ward mask.
//
// Most callers need two calls. NewMatcher compiles every secret value and
// every encoded form of it into one immutable Matcher, built once and shared by
// any number of writers; Matcher.NewWriter wraps a destination (a child's
// stdout, a file) in a Writer that replaces each occurrence with
// "[masked:NAME]" (or what Options.Replacement says):
//
//	m, skipped, err := mask.NewMatcher(secrets, mask.Options{Warn: warn})
//	w := m.NewWriter(os.Stdout)
//	io.Copy(w, childStdout)
//	w.Close()
//
// # What is masked
//
// For each value (at least 4 bytes, and not a common word such as "true" or
// "password": those are returned as Skipped and reported through
// Options.Warn once per distinct value, naming every secret and field that
// holds it), except public ones (Secret.Public: fields a type marks
// "x-ward-sensitive": false, such as a host or a database name, which are
// neither masked nor warned about), and for each line of a multi-line value (PEM armour lines
// "-----BEGIN ...-----" excepted, they are public) and each string leaf of a
// value that is a JSON object or array, these forms are masked:
//
//   - the raw bytes;
//   - hex, lower and upper case;
//   - base64, standard and URL-safe alphabets: the whole encoding (padded and
//     unpadded) and, for a value embedded in a longer base64 text, the stable
//     inner part at each of the three byte alignments. The one or two
//     boundary characters that also carry bits of the neighbouring bytes are
//     not part of the pattern and stay visible: they reveal at most 4 bits of
//     the value at each end;
//   - any of these forms folded at any column (base64 at 64 or 76, …) with LF
//     or CRLF: a line break inside a form is recognised and both sides are
//     masked, keeping the line break (one break per 16 bytes at most, and the
//     form must be at least 16 bytes long);
//   - URL percent-encoding with "+" for spaces (url.QueryEscape) and JSON
//     string escaping (with and without HTML escapes, with "/" or "\/"),
//     also split across two lines (below);
//   - shell single-quote escaping, where a quote inside a single-quoted
//     word is written as a closing quote, an escaped or double-quoted quote
//     and an opening quote.
//
// Besides these fixed forms, whole classes of escaping are masked by
// reading the text canonically where it holds an escape (see views.go):
// every percent-encoding of a value or of one of the forms above that
// differs from it only in which characters are escaped and in the case of
// the hex digits ("+" or %20 for a space; url.UserPassword, url.PathEscape,
// Python's quote and quote_plus with any safe set); backslash escaping
// (JSON, printf %q, declare -p, $'...', \xHH, \uXXXX); a value cut into
// pieces of any length by terminal control sequences (colours, OSC links);
// and ASCII text in UTF-16 or UTF-32 (NUL bytes between the characters).
// These readings work within one line and at most 128 bytes around each
// escape: a window of 16 decoded bytes is found when its encoding spans no
// more than that. They are not combined with folding or with the split
// rule, and a view does not nest in another (percent-encoded JSON escapes,
// colour codes inside UTF-16 are not decoded twice). Non-ASCII characters
// in UTF-16 are not masked.
//
// Every form is masked not only whole but also in pieces: any run of at least
// WindowLen (16) bytes of a form is masked. Forms shorter than WindowLen are
// matched whole.
//
// # Values split across two lines
//
// A value printed in two parts, the first at the end of one line and the
// rest on the next after a timestamp or a prompt, is masked whatever the
// length of its pieces, in all the forms above:
//
//	2026-01-02T03:04:05.0000000Z + echo -n AKIAIOSF
//	2026-01-02T03:04:05.0000000Z + export TOKEN=ODNN7EXAMPLE
//
// becomes "+ echo -n [masked:NAME]" and "+ export TOKEN=[masked:NAME]". When a
// line (LF or CRLF) ends with the first 4 or more bytes of a form (8 or more
// hex digits for hex: runs of 4 to 7 digits end a great many log lines), and
// the rest of the form occurs on the next line, its first 16 bytes within
// that line's first 256 bytes, both pieces are masked (the rest where it
// first occurs). A rest of one to three bytes must stand alone there,
// between bytes that are not letters or digits, since so short a string
// turns up by chance in most lines. Pieces of at least 16 bytes are masked
// anyway, as runs of the form. What stays visible: a first piece of one to
// three bytes (one to seven hex digits), and its rest when that is shorter
// than 16 bytes, so a value of at most 18 bytes cut after its third byte; a
// rest of one to three bytes that touches a letter or digit, such as the end
// of a value's base64 core inside longer base64 text; a rest that is further
// away than the next line.
//
// # Streaming
//
// A Writer holds back only bytes that could still be the start of a match (at
// most WindowLen-1 bytes, plus a line break when at least 4 bytes before it
// could begin a folded form) until the match completes or fails, however
// slowly they arrive, and writes every other byte within Options.FlushAfter
// (50 ms) of receiving it. Whether 3 to 7 bytes could start a match is
// told by a filter that may say yes wrongly, so such a tail is now and then
// held although nothing can follow, until the next output or Close. A line
// that ends inside a match of WindowLen bytes or more goes out all the same,
// its line break included (a fold there would not change the match, and
// what follows the break stays held), so a line that ends with a value
// does not wait for the next: with the benchmarks' 1,000 secrets none of
// the lines "start VALUE\n" waits. What may wait is a line ending with bytes
// that only look like the start of a form: 2 of 300 values of 8 to 15 bytes,
// with 300 secrets. A line that ends with the first bytes of a form
// that could be split is held, with what follows it, until the next line ends
// or reaches 256 bytes, or holds the rest of the form. Overlapping and adjacent matches become one
// replacement. Bytes that are not part of a secret, ANSI colour sequences
// included, pass through unchanged. Writer.ReadFrom (used by io.Copy) reads
// straight into the masking buffer, saving a copy. A filter that owns its
// input, like ward mask, starts reading it with ReadAhead before it builds
// the Matcher and masks it with Writer.ReadInput: a goroutine reads while
// the masker works, and the buffers change hands without a copy.
//
// # Speed
//
// Forms of at least 16 bytes are kept end to end with an index of their
// 8-grams: the Writer looks at every 9th position only, hashes the 8 bytes
// there and tests a Bloom filter of 8 to 16 bits a gram (four bits in one
// word), small enough to stay in cache; a hit is looked up in the gram index and
// extended left and right against each form that holds the gram, and a run
// of 16 bytes or more is a match. Shorter forms are matched whole, one tier
// per length, which samples more densely. At each line break one word of a
// Bloom filter of the last 4 and 8 bytes of every possible head of a split
// value, and the gram filter on the 8 bytes either side of the break, tell
// whether to look further. With 1,000 secrets and all their
// forms (about 450,000 grams and 170,000 ways to split them), NewMatcher
// takes about 25 MB and 40 ms of CPU (go test -bench NewMatcher), spread over
// the cores there are, and the Writer masks CI logs at about 1 GB/s on one
// core on a quiet machine (go test -bench Writer -cpu 1).
package mask
