package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/wardhq/ward/internal/server"
	"github.com/wardhq/ward/internal/vault"
)

// serveOpts are what ward server and ward dev share.
type serveOpts struct {
	listen   string
	data     string
	tlsCert  string
	tlsKey   string
	logLevel string
	auditLog string // "": DATA/audit.log
	identity identityOpts
	store    storageOpts // zero: bolt in data
}

// openVault opens the store (o.store) and the sealed vault over it.
func openVault(o *serveOpts, logger *slog.Logger) (*vault.Vault, error) {
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, err
	}
	db, where, err := o.store.open(context.Background(), o.data)
	if err != nil {
		return nil, err
	}
	o.store.where, o.store.backend = where, db
	up, mfa := o.identity.configs()
	v, err := vault.Open(vault.Config{
		Storage:   db,
		AuditPath: o.auditPath(),
		Logger:    logger,
		Userpass:  up,
		MFA:       mfa,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return v, nil
}

func newLogger(g *globals, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level must be debug, info, warn or error, not %q", level)
	}
	return slog.New(slog.NewJSONHandler(g.stderr, &slog.HandlerOptions{Level: l})), nil
}

// start checks the options both server commands share, and makes the
// logger and the listener.
func (o *serveOpts) start(g *globals) (*slog.Logger, net.Listener, error) {
	if err := o.identity.check(); err != nil {
		return nil, nil, err
	}
	logger, err := newLogger(g, o.logLevel)
	if err != nil {
		return nil, nil, err
	}
	ln, err := o.listener()
	if err != nil {
		return nil, nil, err
	}
	return logger, ln, nil
}

func (o *serveOpts) listener() (net.Listener, error) {
	var tc *tls.Config
	if o.tlsCert != "" || o.tlsKey != "" {
		if o.tlsCert == "" || o.tlsKey == "" {
			return nil, usagef("give both --tls-cert and --tls-key")
		}
		var err error
		if tc, err = server.LoadTLS(o.tlsCert, o.tlsKey); err != nil {
			return nil, err
		}
	}
	ln, err := server.Listen(o.listen, tc)
	if errors.Is(err, server.ErrPlainHTTPNotLoopback) {
		return nil, withHint(err, "give --tls-cert and --tls-key to serve beyond this machine, or listen on 127.0.0.1")
	}
	if err != nil && strings.Contains(err.Error(), "address already in use") {
		return nil, withHint(err, "another process listens there; pick another address with --listen")
	}
	return ln, err
}

func (o *serveOpts) scheme() string {
	if o.tlsCert != "" {
		return "https"
	}
	return "http"
}

// serve answers on ln until ctx is done, then seals the vault.
func serve(ctx context.Context, o *serveOpts, v *vault.Vault, ln net.Listener, logger *slog.Logger) error {
	if os.Getenv("GOGC") == "" {
		// A server's live heap is small and its garbage per request:
		// collecting when the heap has grown by 3x its live size rather
		// than Go's 1x spends less CPU on collection for a few MB more
		// memory. GOGC overrides it.
		debug.SetGCPercent(serverGCPercent)
	}
	srv := server.New(server.Config{Vault: v, Logger: logger, Version: wardVersion(), StorageType: o.store.name()})
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	go runLeading(mctx, o.store.backend, "maintain", logger, func(ctx context.Context) { v.Maintain(ctx, 0) })
	err := srv.Serve(ctx, ln)
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// serverGCPercent is the GOGC of ward server and ward dev.
const serverGCPercent = 300

func addrURL(scheme string, ln net.Listener) string {
	return fmt.Sprintf("%s://%s", scheme, ln.Addr().String())
}

func (o *serveOpts) auditPath() string {
	if o.auditLog != "" {
		return o.auditLog
	}
	return filepath.Join(o.data, "audit.log")
}
