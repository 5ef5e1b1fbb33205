package detect

// lru is a map that keeps at most max entries, forgetting the least
// recently used one first. It is not safe for concurrent use; the Engine's
// lock guards every lru it holds.
type lru[K comparable, V any] struct {
	max     int
	m       map[K]*lruNode[K, V]
	newest  *lruNode[K, V] // head of the list, most recently used
	oldest  *lruNode[K, V]
	evicted int // entries forgotten for want of room, ever
}

type lruNode[K comparable, V any] struct {
	key        K
	val        V
	prev, next *lruNode[K, V] // prev: newer, next: older
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, m: make(map[K]*lruNode[K, V])}
}

func (l *lru[K, V]) Len() int { return len(l.m) }

// Get returns the value at k and marks it used.
func (l *lru[K, V]) Get(k K) (V, bool) {
	n, ok := l.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.touch(n)
	return n.val, true
}

// Put sets the value at k, marks it used, and forgets the oldest entry if
// the map is over its size.
func (l *lru[K, V]) Put(k K, v V) {
	if n, ok := l.m[k]; ok {
		n.val = v
		l.touch(n)
		return
	}
	n := &lruNode[K, V]{key: k, val: v}
	l.m[k] = n
	l.pushFront(n)
	if len(l.m) > l.max {
		old := l.oldest
		l.unlink(old)
		delete(l.m, old.key)
		l.evicted++
	}
}

// Each calls fn for every entry, oldest first, so that putting them back in
// that order gives the same recency.
func (l *lru[K, V]) Each(fn func(K, V)) {
	for n := l.oldest; n != nil; n = n.prev {
		fn(n.key, n.val)
	}
}

func (l *lru[K, V]) touch(n *lruNode[K, V]) {
	if l.newest == n {
		return
	}
	l.unlink(n)
	l.pushFront(n)
}

func (l *lru[K, V]) pushFront(n *lruNode[K, V]) {
	n.prev, n.next = nil, l.newest
	if l.newest != nil {
		l.newest.prev = n
	}
	l.newest = n
	if l.oldest == nil {
		l.oldest = n
	}
}

func (l *lru[K, V]) unlink(n *lruNode[K, V]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.newest = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.oldest = n.prev
	}
	n.prev, n.next = nil, nil
}
