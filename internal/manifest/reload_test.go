package manifest

import (
	"errors"
	"strings"
	"testing"
)

// reloadHead is a one-component manifest whose reload: goes at line 6.
const reloadHead = "version: 1\ncomponents:\n  api:\n    language: go\n    files: {db/password: {from: payments/db, field: password}}\n"

func TestReloadParses(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Reload
		sig  string
	}{
		{"absent", "", Reload{}, "SIGHUP"},
		{"restart", "    reload: restart\n", Reload{Action: ReloadRestart, Line: 6}, "SIGHUP"},
		{"signal scalar", "    reload: signal\n", Reload{Action: ReloadSignal, Line: 6}, "SIGHUP"},
		{"signal", "    reload: {signal: SIGUSR1}\n", Reload{Signal: "SIGUSR1", Line: 6}, "SIGUSR1"},
		{"all", "    reload:\n      action: signal\n      signal: SIGUSR2\n      env: refuse\n      revoked: signal\n",
			Reload{Action: ReloadSignal, Signal: "SIGUSR2", Env: ReloadRefuse, Revoked: RevokedSignal, Line: 7}, "SIGUSR2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("ward.yaml", []byte(reloadHead+tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got := m.Components["api"].Reload
			if got != tt.want {
				t.Fatalf("reload = %+v, want %+v", got, tt.want)
			}
			if got.SignalName() != tt.sig {
				t.Fatalf("signal = %s, want %s", got.SignalName(), tt.sig)
			}
		})
	}
}

func TestReloadPolicies(t *testing.T) {
	var zero Reload
	if zero.Restarts() || zero.RefusesEnv() || !zero.StopsOnRevoke() {
		t.Fatalf("zero Reload: restarts %v, refuses env %v, stops on revoke %v; want false, false, true", zero.Restarts(), zero.RefusesEnv(), zero.StopsOnRevoke())
	}
	r := Reload{Action: ReloadRestart, Env: ReloadRefuse, Revoked: RevokedSignal}
	if !r.Restarts() || !r.RefusesEnv() || r.StopsOnRevoke() {
		t.Fatalf("%+v: restarts %v, refuses env %v, stops on revoke %v", r, r.Restarts(), r.RefusesEnv(), r.StopsOnRevoke())
	}
}

func TestReloadMistakes(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"bad scalar", "    reload: restrat\n", []string{`6:13: component api: reload "restrat" is not signal or restart; did you mean "restart"?`}},
		{"list", "    reload: [restart]\n", []string{"6:13: component api: reload must be signal, restart or a mapping"}},
		{"null", "    reload:\n", []string{"6:12: component api: reload must be signal, restart or a mapping"}},
		{"unknown key", "    reload: {sginal: SIGHUP}\n", []string{`6:14: unknown field "sginal" in component api reload; did you mean "signal"?`}},
		{"short signal", "    reload: {signal: HUP}\n", []string{`6:22: component api: reload.signal "HUP" is not one of SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGINT, SIGTERM, SIGQUIT; write SIGHUP`}},
		{"lower signal", "    reload: {signal: sigusr1}\n", []string{`reload.signal "sigusr1" is not one of`, "; write SIGUSR1"}},
		{"kill", "    reload: {signal: SIGKILL}\n", []string{`6:22: component api: reload.signal "SIGKILL" is not one of`}},
		{"number", "    reload: {signal: 9}\n", []string{`6:22: component api: reload.signal "9" is not one of`}},
		{"signal list", "    reload: {signal: [SIGHUP]}\n", []string{"6:22: component api: reload.signal must be a single value"}},
		{"env", "    reload: {env: ignore}\n", []string{`6:19: component api: reload.env "ignore" is not one of restart, refuse`}},
		{"revoked", "    reload: {revoked: restart}\n", []string{`6:23: component api: reload.revoked "restart" is not one of stop, signal`}},
		{"action", "    reload: {action: reload}\n", []string{`6:22: component api: reload.action "reload" is not one of signal, restart`}},
		{"restart and signal", "    reload: {action: restart, signal: SIGUSR1}\n", []string{"6:13: component api: reload.signal is not sent when reload.action is restart"}},
		{"duplicate", "    reload: {env: refuse, env: restart}\n", []string{`6:27: duplicate key "env" in component api reload`}},
		{"duplicate reload", "    reload: restart\n    reload: signal\n", []string{`7:5: duplicate key "reload" in component api`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("ward.yaml", []byte(reloadHead+tt.src))
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
