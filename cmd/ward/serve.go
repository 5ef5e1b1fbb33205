package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardhq/ward/internal/server"
	"github.com/wardhq/ward/internal/startgc"
	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/ui"
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
	store    storageOpts   // zero: bolt in data
	certs    *certReloader // set by tlsConfig; nil without TLS
	watch    watchOpts     // detectors, alert webhook, metrics
	// rotateInterval is how often due rotations run, and the first retry's
	// wait after a failed one; 0: vault.DefaultRotateInterval.
	rotateInterval time.Duration
	limits         limitOpts // per-token rate and quota, connections; zero (ward dev): none
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
	cfg := vault.Config{
		Storage:   db,
		AuditPath: o.auditPath(),
		Logger:    logger,
		Userpass:  up,
		MFA:       mfa,
	}
	cfg.RotateRetry = o.rotateInterval
	if err := o.watch.configure(o.data, &cfg); err != nil {
		db.Close()
		return nil, err
	}
	v, err := vault.Open(cfg)
	if err != nil {
		o.watch.close()
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

// tlsConfig loads --tls-cert and --tls-key; nil without them. The config
// serves the certificate o.certs holds, which SIGHUP loads again.
func (o *serveOpts) tlsConfig() (*tls.Config, error) {
	if o.tlsCert == "" && o.tlsKey == "" {
		return nil, nil
	}
	if o.tlsCert == "" || o.tlsKey == "" {
		return nil, usagef("give both --tls-cert and --tls-key")
	}
	o.certs = &certReloader{certFile: o.tlsCert, keyFile: o.tlsKey}
	tc, err := o.certs.load()
	if err != nil {
		return nil, err
	}
	tc.Certificates = nil
	tc.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return o.certs.cert.Load(), nil }
	return tc, nil
}

// certReloader holds the server's TLS certificate, so that a renewed one is
// served from the next handshake on without a restart (and an unseal).
type certReloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// load reads the certificate and key; on an error the one held stays.
func (r *certReloader) load() (*tls.Config, error) {
	tc, err := server.LoadTLS(r.certFile, r.keyFile)
	if err != nil {
		return nil, err
	}
	r.cert.Store(&tc.Certificates[0])
	return tc, nil
}

func (o *serveOpts) listener() (net.Listener, error) {
	tc, err := o.tlsConfig()
	if err != nil {
		return nil, err
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
		startgc.SetGCPercent(serverGCPercent)
	}
	srv := server.New(server.Config{Vault: v, Logger: logger, Version: wardVersion(), StorageType: o.store.name(), Metrics: o.watch.m,
		Limits: o.limits.requests(), MaxConns: o.limits.maxConns,
		UI: func(api http.Handler) http.Handler { return ui.New(ui.Config{API: api, Logger: logger}) }})
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	go runLeading(mctx, o.store.backend, "maintain", logger, func(ctx context.Context) { v.Maintain(ctx, 0) })
	go runLeading(mctx, o.store.backend, "rotate", logger, func(ctx context.Context) { v.RunRotations(ctx, o.rotateInterval) })
	if _, shared := o.store.backend.(storage.Locker); shared { // bolt: each server expires its own leases from unseal
		go runLeading(mctx, o.store.backend, "leases", logger, func(ctx context.Context) { v.LeadLeases(ctx, 0) })
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go onHUP(mctx, hup, o, v, logger)
	o.watch.run(mctx, v, logger)
	err := srv.Serve(ctx, ln)
	o.watch.stop(logger)
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// onHUP reopens the audit log and loads the TLS certificate again at each
// signal on hup until ctx is done: log rotation renames the log, then sends
// SIGHUP; so can whatever renews the certificate.
func onHUP(ctx context.Context, hup <-chan os.Signal, o *serveOpts, v *vault.Vault, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reopenAudit(ctx, v, o.auditPath(), logger)
			if o.certs == nil {
				continue
			}
			if _, err := o.certs.load(); err != nil {
				logger.Error("SIGHUP: loading the TLS certificate failed; the one loaded before is still served", "error", err.Error())
				continue
			}
			logger.Info("TLS certificate loaded", "cert", o.certs.certFile)
		}
	}
}

// reopenAudit signs a last checkpoint into the audit file (so that a
// rotated file ends signed, if no request comes in between), then reopens
// the file's path: lines go on into a new file whose chain goes on from the
// old one.
func reopenAudit(ctx context.Context, v *vault.Vault, path string, logger *slog.Logger) {
	cpErr, err := v.ReopenAudit(ctx)
	if errors.Is(err, vault.ErrSealed) {
		logger.Warn("SIGHUP: the audit log is not open while the vault is sealed; the next unseal opens its path, starting a new chain if the file was moved",
			"path", path)
		return
	}
	if cpErr != nil {
		logger.Warn("SIGHUP: signing a checkpoint before reopening the audit log failed", append([]any{"path", path}, vault.ErrorLogArgs(cpErr)...)...)
	}
	if err != nil {
		logger.Error("SIGHUP: reopening the audit log failed; requests fail until it can be written", append([]any{"path", path}, vault.ErrorLogArgs(err)...)...)
		return
	}
	logger.Info("audit log reopened", "path", path)
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
