package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Timeouts and limits of the HTTP server.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second
)

// ErrPlainHTTPNotLoopback refuses to serve plain HTTP beyond this machine.
var ErrPlainHTTPNotLoopback = errors.New("plain HTTP is only served on a loopback address")

// Listen opens addr. Without TLS it must be a loopback address, so tokens
// and secrets never cross a network in the clear.
func Listen(addr string, tlsConfig *tls.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsConfig == nil {
		tcp, ok := ln.Addr().(*net.TCPAddr)
		if !ok || !tcp.IP.IsLoopback() {
			ln.Close()
			return nil, fmt.Errorf("%w: %s", ErrPlainHTTPNotLoopback, addr)
		}
		return ln, nil
	}
	return tls.NewListener(ln, tlsConfig), nil
}

// LoadTLS reads a certificate and key for Listen.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading TLS certificate %q and key %q: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Serve answers requests on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          nil,
	}
	ln = newLimitListener(ln, s.cfg.MaxConns, s.refusedConn)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err := hs.Shutdown(sctx)
		<-errc
		return err
	}
}
