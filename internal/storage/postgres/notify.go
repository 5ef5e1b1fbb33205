package postgres

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardhq/ward/internal/storage"
)

// channel is the PostgreSQL notification channel on which every commit
// names the keys it changed. A payload is the changed keys, each base64
// encoded (keys are any bytes but NUL; payloads must be text), separated by
// spaces; allPayload means "assume everything changed".
const (
	channel    = "ward_changes"
	allPayload = "*"
	// maxPayload stays under PostgreSQL's 8000-byte payload limit.
	maxPayload = 7900
	// maxPayloads per commit: a group that changed more keys sends
	// allPayload instead, which is cheaper than many notifications and
	// only costs the receivers a cache reload.
	maxPayloads = 8
)

// changePayloads encodes keys into the notification payloads of one commit.
func changePayloads(keys []string) []string {
	var out []string
	var b strings.Builder
	for _, k := range keys {
		enc := base64.StdEncoding.EncodeToString([]byte(k))
		if b.Len() > 0 && b.Len()+1+len(enc) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(enc)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	if len(out) > maxPayloads {
		return []string{allPayload}
	}
	return out
}

// parsePayload decodes a payload; a payload it cannot read counts as "all".
func parsePayload(p string) (keys []string, all bool) {
	if p == allPayload {
		return nil, true
	}
	for _, f := range strings.Fields(p) {
		k, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			return nil, true
		}
		keys = append(keys, string(k))
	}
	return keys, false
}

// notifier listens on channel over one connection of its own and fans the
// changes out to the subscribers of Changes. It starts on the first
// subscription and runs until Close.
type notifier struct {
	db *DB

	mu      sync.Mutex
	subs    map[*subscriber]struct{} // guarded by mu
	running bool                     // guarded by mu: the listen loop is up
	cancel  context.CancelFunc       // guarded by mu: stops the listen loop
	done    chan struct{}            // guarded by mu: closed when the loop returned
}

func (n *notifier) init(db *DB) {
	n.db = db
	n.subs = make(map[*subscriber]struct{})
}

// subscriber gathers the changes not yet delivered to one receiver.
type subscriber struct {
	mu   sync.Mutex
	keys map[string]struct{} // guarded by mu
	all  bool                // guarded by mu
	wake chan struct{}       // capacity 1: something is pending
}

func (s *subscriber) add(keys []string, all bool) {
	s.mu.Lock()
	if all {
		s.all = true
	}
	for _, k := range keys {
		s.keys[k] = struct{}{}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns and clears what is pending.
func (s *subscriber) take() storage.Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := storage.Change{All: s.all}
	if !s.all {
		for k := range s.keys {
			c.Keys = append(c.Keys, k)
		}
	}
	clear(s.keys)
	s.all = false
	return c
}

// Changes implements storage.Notifier: it returns once this process
// listens on the database's change channel. The channel is also closed by
// Close.
func (db *DB) Changes(ctx context.Context) (<-chan storage.Change, error) {
	leave, err := db.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := db.notifier.start(ctx); err != nil {
		return nil, err
	}
	s := &subscriber{keys: make(map[string]struct{}), wake: make(chan struct{}, 1)}
	n := &db.notifier
	n.mu.Lock()
	n.subs[s] = struct{}{}
	n.mu.Unlock()
	out := make(chan storage.Change)
	go func() {
		defer close(out)
		defer func() {
			n.mu.Lock()
			delete(n.subs, s)
			n.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-db.stopped: // Close
				return
			case <-s.wake:
			}
			select {
			case out <- s.take():
			case <-ctx.Done():
				return
			case <-db.stopped:
				return
			}
		}
	}()
	return out, nil
}

// start runs the listen loop if it is not running, and returns once it
// listens (or failed to).
func (n *notifier) start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		return nil
	}
	conn, err := n.listen(ctx)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.Background())
	n.running, n.cancel, n.done = true, cancel, make(chan struct{})
	go n.loop(lctx, conn, n.done)
	return nil
}

// listen opens the listening connection.
func (n *notifier) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg := n.db.cfg.ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "ward-listen"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(context.Background())
		return nil, queryError(ctx, "listen", err)
	}
	return conn, nil
}

// loop delivers notifications until ctx is done, reconnecting when the
// connection breaks; after a reconnection every subscriber gets All, since
// what was committed meanwhile is unknown. It keeps the read cache in step:
// on while conn listens, each notification's keys dropped from it, off and
// empty while the connection is down.
func (n *notifier) loop(ctx context.Context, conn *pgx.Conn, done chan struct{}) {
	defer close(done)
	cache := n.db.cache
	if cache != nil {
		cache.feedUp()
		defer cache.feedDown()
	}
	for {
		for conn != nil {
			note, err := n.wait(ctx, conn)
			if err != nil {
				if cache != nil {
					cache.feedDown()
				}
				conn.Close(context.Background())
				conn = nil
				break
			}
			if note == nil {
				continue // nothing came, and the connection is alive
			}
			keys, all := parsePayload(note.Payload)
			if cache != nil {
				if all {
					cache.clear()
				} else {
					cache.drop(keys...)
				}
			}
			n.broadcast(keys, all)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(n.db.opts.reconnectDelay):
		}
		c, err := n.listen(ctx)
		if err != nil {
			continue
		}
		conn = c
		if cache != nil {
			cache.feedUp()
		}
		n.broadcast(nil, true)
	}
}

// pingTimeout bounds the check that an idle listening connection is alive.
const pingTimeout = 5 * time.Second

// wait returns the next notification on conn, or nil after LeaseCheck
// without one once a ping showed that conn is alive: a connection cut
// without a word (a network partition, a host gone) is found within
// LeaseCheck + pingTimeout instead of when TCP gives up, so the read
// cache cannot go on trusting a feed that no longer speaks. An error means
// conn is broken or ctx is done.
func (n *notifier) wait(ctx context.Context, conn *pgx.Conn) (*pgconn.Notification, error) {
	wctx, cancel := context.WithTimeout(ctx, n.db.opts.LeaseCheck)
	note, err := conn.WaitForNotification(wctx)
	cancel()
	if err == nil || ctx.Err() != nil || wctx.Err() == nil {
		return note, err
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return nil, conn.Ping(pctx)
}

func (n *notifier) broadcast(keys []string, all bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for s := range n.subs {
		s.add(keys, all)
	}
}

// stop ends the listen loop, if it runs, and waits for it.
func (n *notifier) stop() {
	n.mu.Lock()
	running, cancel, done := n.running, n.cancel, n.done
	n.running = false
	n.mu.Unlock()
	if running {
		cancel()
		<-done
	}
}
