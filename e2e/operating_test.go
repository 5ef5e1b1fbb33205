package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// docFile reads a file of docs/.
func docFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docExampleConfig returns the example config file of docs/operating.md.
func docExampleConfig(t *testing.T) string {
	t.Helper()
	doc := docFile(t, "operating.md")
	_, rest, ok := strings.Cut(doc, "<!-- example: /etc/ward/server.yaml -->\n```yaml\n")
	if !ok {
		t.Fatal("docs/operating.md has no example config block")
	}
	example, _, _ := strings.Cut(rest, "```\n")
	return example
}

// unitLine returns the value of the first KEY= line of a systemd unit.
func unitLine(t *testing.T, unit, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + key + `=(.*)$`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatalf("docs/ward.service has no %s=", key)
	}
	return m[1]
}

// docs/ward.service: its ExecStart command line, with the guide's example
// config file, is accepted by the real binary (checked with --check, the
// TLS files given on the command line since /etc/ward has none here), and
// reload sends SIGHUP.
func TestSystemdUnit(t *testing.T) {
	unit := docFile(t, "ward.service")
	argv := strings.Fields(unitLine(t, unit, "ExecStart"))
	if len(argv) < 4 || filepath.Base(argv[0]) != "ward" || argv[1] != "server" {
		t.Fatalf("ExecStart = %q, want ward server --config …", argv)
	}
	config := filepath.Join(t.TempDir(), "server.yaml")
	writeFile(t, config, docExampleConfig(t))
	args := argv[1:]
	for i, a := range args {
		if a == "/etc/ward/server.yaml" {
			args[i] = config
		}
	}
	cert, key, _ := writeSelfSigned(t)
	args = append(args, "--check", "--format", "json", "--tls-cert", cert, "--tls-key", key)
	out, err := exec.Command(wardBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ward %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var res struct {
		OK       bool `json:"ok"`
		Settings []struct{ Key, Value, From string }
	}
	if err := json.Unmarshal(out, &res); err != nil || !res.OK {
		t.Fatalf("--check: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, s := range res.Settings {
		got[s.Key] = s.Value + " (" + s.From + ")"
	}
	for k, want := range map[string]string{"listen": "0.0.0.0:8200 (config)", "data": "/var/lib/ward (config)",
		"audit-log": "/var/log/ward/audit.log (config)", "tls-cert": cert + " (flag)"} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if reload := unitLine(t, unit, "ExecReload"); !strings.Contains(reload, "kill -HUP $MAINPID") {
		t.Errorf("ExecReload = %q, want a SIGHUP to the main process", reload)
	}
	// The unit's paths that ward writes are the example's.
	rw := unitLine(t, unit, "ReadWritePaths")
	for _, dir := range []string{"/var/lib/ward", "/var/log/ward"} {
		if !strings.Contains(rw, dir) {
			t.Errorf("ReadWritePaths = %q lacks %s", rw, dir)
		}
	}
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		copyUnit := filepath.Join(t.TempDir(), "ward.service")
		writeFile(t, copyUnit, strings.Replace(unit, argv[0], wardBin, 1))
		if out, err := exec.Command(sa, "verify", copyUnit).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}
}

// docs/logrotate.conf run by the real logrotate against a real ward server,
// twice: the server reopens its log each time, and the three files (the
// oldest compressed) verify as one chain.
func TestLogrotateConf(t *testing.T) {
	lr, err := exec.LookPath("logrotate")
	if err != nil {
		t.Skip("logrotate is not installed")
	}
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.log")
	config := filepath.Join(t.TempDir(), "server.yaml")
	writeFile(t, config, "audit-log: "+auditPath+"\n")
	s := startWard(t, "server", "", "--config", config)
	s.Token = initUnseal(t, s)
	s.mustWard("", "env", "create", "prod")

	conf := docFile(t, "logrotate.conf")
	for old, repl := range map[string]string{
		"/var/log/ward/audit.log":                                   auditPath,
		"create 0600 ward ward":                                     "create 0600",
		"systemctl kill --signal=HUP --kill-whom=main ward.service": "kill -HUP " + strconv.Itoa(s.cmd.Process.Pid),
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("docs/logrotate.conf no longer has %q", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	confFile := filepath.Join(t.TempDir(), "ward")
	writeFile(t, confFile, conf)
	state := filepath.Join(t.TempDir(), "state")
	reopened := regexp.MustCompile(`"msg":"audit log reopened"`)
	for round := range 2 {
		s.mustWard(`{"round":"`+strconv.Itoa(round)+`"}`, "kv", "put", "--env", "prod", "app/cfg")
		mark := len(s.Logs())
		if out, err := exec.Command(lr, "-f", "-s", state, confFile).CombinedOutput(); err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
		waitLog(t, s, reopened, mark)
	}
	s.mustWard("", "kv", "get", "--env", "prod", "app/cfg")
	// audit.log.2.gz (compressed on the second run), audit.log.1 (kept plain
	// by delaycompress), audit.log.
	oldest := filepath.Join(t.TempDir(), "audit.log.2")
	gz, err := os.Open(auditPath + ".2.gz")
	if err != nil {
		t.Fatalf("after two rotations: %v", err)
	}
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	gz.Close()
	writeFile(t, oldest, string(plain))
	fi, err := os.Stat(auditPath)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
		t.Fatalf("the live audit log after rotation: %v %v", fi, err)
	}
	out, errOut, code := s.ward("", "", "audit", "verify", oldest, auditPath+".1", auditPath)
	if code != 0 || !strings.Contains(out, "chain intact") {
		t.Fatalf("verify of the rotated files: exit %d\n%s%s", code, out, errOut)
	}
}

// servedCert returns the certificate the server at addr presents.
func servedCert(t *testing.T, addr string) []byte {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(addr, "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Raw
}

// A renewed certificate is served after SIGHUP, without a restart (which
// would need an unseal); a broken one is refused and the old one stays.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	certFile, keyFile, _ := writeSelfSigned(t)
	s := startWard(t, "server", "", "--tls-cert", certFile, "--tls-key", keyFile)
	first := servedCert(t, s.Addr)
	newCert, newKey, _ := writeSelfSigned(t)
	for src, dst := range map[string]string{newCert: certFile, newKey: keyFile} {
		b, _ := os.ReadFile(src)
		writeFile(t, dst, string(b))
	}
	mark := len(s.Logs())
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, s, regexp.MustCompile(`"msg":"TLS certificate loaded"`), mark)
	second := servedCert(t, s.Addr)
	if bytes.Equal(first, second) {
		t.Fatal("the old certificate is still served after SIGHUP")
	}
	writeFile(t, keyFile, "not a key\n")
	mark = len(s.Logs())
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, s, regexp.MustCompile(`loading the TLS certificate failed; the one loaded before is still served`), mark)
	if !bytes.Equal(servedCert(t, s.Addr), second) {
		t.Fatal("a broken key file replaced the served certificate")
	}
}
