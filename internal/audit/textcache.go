package audit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"sync"
	"sync/atomic"
)

// textCache keeps the redactions of JSON texts (JSON in Entry.Data) that
// the log wrote, so that the same text written again (the same version
// of a secret, read again and again) is neither parsed nor HMAC'd leaf by
// leaf: its redaction depends only on the text and the log's key.
//
// A text is found by its HMAC under a key of the cache's own, random and
// never written anywhere, so the cache holds no secret value, nor any
// hash of one that could be checked against a guess; what it holds is
// what the log writes anyway. Only texts up to maxCachedText bytes are
// kept, and the whole cache is dropped when it holds more than
// maxCachedBytes of redactions: it costs a bounded amount of memory
// however many distinct values are read.
type textCache struct {
	macs    sync.Pool // of *keyMAC
	entries atomic.Pointer[textEntries]
}

const (
	maxCachedText  = 4 << 10
	maxCachedBytes = 8 << 20
)

// textEntries is one generation of the cache.
type textEntries struct {
	m     sync.Map     // [sha256.Size]byte → *cachedText
	bytes atomic.Int64 // of the redactions in m
}

// cachedText is the redaction of one text, as redact returns it.
type cachedText struct {
	line     []byte // what appendRedacted writes for the text
	out, raw int
}

// keyMAC is an HMAC under the cache's key with room for its sum.
type keyMAC struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

func newTextCache() *textCache {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand panics rather)
	c := &textCache{macs: sync.Pool{New: func() any { return &keyMAC{h: hmac.New(sha256.New, key)} }}}
	c.entries.Store(&textEntries{})
	return c
}

// key returns the name under which text's redaction is kept.
func (c *textCache) key(text []byte) [sha256.Size]byte {
	m := c.macs.Get().(*keyMAC)
	m.h.Reset()
	m.h.Write(text)
	m.h.Sum(m.sum[:0])
	k := m.sum
	c.macs.Put(m)
	return k
}

// get returns the redaction kept under k, or nil.
func (c *textCache) get(k [sha256.Size]byte) *cachedText {
	if v, ok := c.entries.Load().m.Load(k); ok {
		return v.(*cachedText)
	}
	return nil
}

// put keeps t under k, starting a new generation when the current one is
// full.
func (c *textCache) put(k [sha256.Size]byte, t *cachedText) {
	g := c.entries.Load()
	if g.bytes.Add(int64(len(t.line))) > maxCachedBytes {
		g = &textEntries{}
		c.entries.Store(g)
		g.bytes.Add(int64(len(t.line)))
	}
	g.m.Store(k, t)
}
