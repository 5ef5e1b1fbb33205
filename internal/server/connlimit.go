package server

import (
	"net"
	"sync"
	"time"
)

// limitListener accepts at most cap(slots) open connections: one more is
// closed as soon as it is accepted, so a flood of sockets costs the server a
// file descriptor for a moment and no goroutine, and the clients it refuses
// learn so at once rather than waiting in the kernel's backlog. (A listener
// that stopped accepting instead would keep every new client waiting,
// legitimate ones too, until a slot came free.)
type limitListener struct {
	net.Listener
	slots   chan struct{}
	refused func() // counts a refused connection; may be nil
}

func newLimitListener(ln net.Listener, max int, refused func()) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), refused: refused}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			c.Close()
			if l.refused != nil {
				l.refused()
			}
		}
	}
}

// limitConn gives its slot back once, at its first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// refusedConn logs refused connections, at most once a minute with the
// count since the last line, so a flood cannot flood the log.
func (s *Server) refusedConn() {
	n := s.refused.Add(1)
	now := s.cfg.Now()
	last := s.refusedLog.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < time.Minute {
		return
	}
	if !s.refusedLog.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	s.refused.Add(-n)
	s.log.Warn("connection refused: the server has --max-connections open", "max_connections", s.cfg.MaxConns, "refused", n)
}
