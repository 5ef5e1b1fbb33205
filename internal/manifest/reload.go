package manifest

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Reload says what ward run --watch does to a running component when a
// secret it received changes or is revoked. The zero value is the default:
// replace the files and send SIGHUP; restart for a changed env var; stop
// the component when a secret is revoked.
//
//	reload: restart                                  # restart on every change
//	reload: {signal: SIGUSR1}                        # replace files, then SIGUSR1
//	reload: {signal: SIGHUP, env: refuse, revoked: signal}
type Reload struct {
	// Action is ReloadSignal ("" too) or ReloadRestart.
	Action string
	// Signal is the signal's name, like "SIGUSR1"; "" means SIGHUP.
	Signal string
	// Env is what a new value of a secret held in an env var does:
	// ReloadRestart ("" too) restarts the component with it; ReloadRefuse
	// makes ward run --watch refuse to start a component that reads a
	// watched secret through an env var.
	Env string
	// Revoked is what a secret revoked, deleted or retired does:
	// RevokedStop ("" too) stops the component and ward run fails;
	// RevokedSignal removes its files and signals the component (a
	// revoked secret held in an env var still stops it).
	Revoked string
	Line    int // where reload is declared; 0 when it is not
}

// The values of Reload's fields.
const (
	ReloadSignal  = "signal"
	ReloadRestart = "restart"
	ReloadRefuse  = "refuse"
	RevokedStop   = "stop"
	RevokedSignal = "signal"
)

// DefaultReloadSignal is the signal of a Reload that names none.
const DefaultReloadSignal = "SIGHUP"

// ReloadSignals are the signals reload.signal may name: those a program
// can catch that do not mean "stop" to ward run or a terminal.
var ReloadSignals = []string{"SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGINT", "SIGTERM", "SIGQUIT"}

// SignalName is r.Signal, or DefaultReloadSignal when it is "".
func (r Reload) SignalName() string {
	if r.Signal == "" {
		return DefaultReloadSignal
	}
	return r.Signal
}

// Restarts reports whether every change restarts the component.
func (r Reload) Restarts() bool { return r.Action == ReloadRestart }

// RefusesEnv reports whether env vars of watched secrets are refused.
func (r Reload) RefusesEnv() bool { return r.Env == ReloadRefuse }

// StopsOnRevoke reports whether a revoked secret stops the component.
func (r Reload) StopsOnRevoke() bool { return r.Revoked != RevokedSignal }

const reloadExample = `like "reload: restart" or "reload: {signal: SIGUSR1}"`

// reload reads a component's reload: a scalar (signal or restart) or a
// mapping {action, signal, env, revoked}.
func (p *parser) reload(n *yaml.Node, what string) Reload {
	r := Reload{Line: n.Line}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		switch n.Value {
		case ReloadSignal, ReloadRestart:
			r.Action = n.Value
		default:
			p.ps.add(n.Line, n.Column, "%s: reload %s is not signal or restart%s; or write a mapping %s", what, quoteName(n.Value), didYouMean(n.Value, []string{ReloadSignal, ReloadRestart}), reloadExample)
		}
		return r
	}
	if n.Kind != yaml.MappingNode {
		p.ps.add(n.Line, n.Column, "%s: reload must be signal, restart or a mapping %s", what, reloadExample)
		return r
	}
	fields := map[string]struct {
		dst   *string
		allow []string
	}{
		"action":  {&r.Action, []string{ReloadSignal, ReloadRestart}},
		"signal":  {&r.Signal, ReloadSignals},
		"env":     {&r.Env, []string{ReloadRestart, ReloadRefuse}},
		"revoked": {&r.Revoked, []string{RevokedStop, RevokedSignal}},
	}
	for _, f := range p.pairs(n, what+" reload", []string{"action", "signal", "env", "revoked"}) {
		v, ok := p.scalar(f.v, what+": reload."+f.key)
		if !ok {
			continue
		}
		spec := fields[f.key]
		if !contains(spec.allow, v) {
			p.ps.add(f.v.Line, f.v.Column, "%s: reload.%s %s is not one of %s%s", what, f.key, quoteName(v), strings.Join(spec.allow, ", "), signalHint(f.key, v, spec.allow))
			continue
		}
		*spec.dst = v
	}
	if r.Action == ReloadRestart && r.Signal != "" {
		p.ps.add(n.Line, n.Column, "%s: reload.signal is not sent when reload.action is restart; remove one", what)
	}
	return r
}

// signalHint suggests the full name of a signal written without SIG or in
// lower case, else a close one.
func signalHint(key, v string, allow []string) string {
	if key == "signal" {
		full := "SIG" + strings.TrimPrefix(strings.ToUpper(v), "SIG")
		if contains(allow, full) {
			return fmt.Sprintf("; write %s", full)
		}
	}
	return didYouMean(v, allow)
}
