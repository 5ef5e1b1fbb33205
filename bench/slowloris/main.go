// Command slowloris measures what abusive connections cost a legitimate
// client of ward server. It builds ward, starts `ward server` with its
// default limits (bbolt, audit log on), and measures one client reading a
// secret over a keep-alive connection, one request after another: first on
// an idle server, then while
//
//   - -keepalive clients (2,000) each hold a keep-alive connection and send
//     a request every -every (10s, jittered),
//   - -idle sockets (2,500) connect and send nothing, and
//   - -slow sockets (2,500) send a request's headers one line every 2
//     seconds, never finishing (slowloris),
//
// reconnecting whatever the server closes. Rounds alternate idle and
// loaded; it prints each run's p50 and p99 and the median p99 under load
// as a ratio of the idle one (the target: at most 2).
//
//	go run ./bench/slowloris
//	go run ./bench/slowloris -keepalive 2000 -idle 2500 -slow 2500 -d 10s -rounds 3
//
// Run it from the repository root. The abusive sockets live in a second
// process (this program with -attack), as they would on other machines. It
// raises that process's open-file limit (one file per socket); ward server
// raises its own to --max-connections.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	keepalive := flag.Int("keepalive", 2000, "keep-alive clients")
	every := flag.Duration("every", 10*time.Second, "each keep-alive client sends one request this often")
	idle := flag.Int("idle", 2500, "idle sockets")
	slow := flag.Int("slow", 2500, "slowloris sockets")
	dur := flag.Duration("d", 10*time.Second, "length of each measurement")
	rounds := flag.Int("rounds", 3, "rounds of idle then loaded")
	attackAddr := flag.String("attack", "", "(internal) be the attacking process, against this address, until stdin closes")
	flag.Parse()
	log.SetFlags(0)
	if *attackAddr != "" {
		if err := raiseFiles(*keepalive + *idle + *slow + 1024); err != nil {
			log.Fatalf("slowloris: %v (hint: ulimit -n)", err)
		}
		a := attack(*attackAddr, *keepalive, *idle, *slow, *every)
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		st := a.stop()
		fmt.Printf("%d %d %d\n", st.open, st.requests, st.reconnects)
		return
	}
	dir, err := os.MkdirTemp("", "ward-bench-slowloris-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ward := filepath.Join(dir, "ward")
	if out, err := exec.Command("go", "build", "-o", ward, "./cmd/ward").CombinedOutput(); err != nil {
		log.Fatalf("slowloris: building ward (run from the repository root): %v\n%s", err, out)
	}
	addr, stop := startServer(ward, dir)
	defer stop()
	token := initServer(addr)
	legit := &legitClient{addr: addr, token: token, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}}
	if err := legit.call("POST", `{"data":{"password":"p"}}`); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("keepalive=%d every=%s idle=%d slow=%d d=%s rounds=%d (ward server, defaults, bbolt, audit on)\n",
		*keepalive, *every, *idle, *slow, *dur, *rounds)
	var idleP99, loadP99 []time.Duration
	for r := range *rounds {
		res := legit.run(*dur)
		idleP99 = append(idleP99, res.p(0.99))
		fmt.Printf("round %d  idle server    %6d reads  p50 %s  p99 %s  errors %d\n", r+1, len(res.lat), ms(res.p(0.5)), ms(res.p(0.99)), res.errors)
		a := startAttacker(addr, *keepalive, *idle, *slow, *every)
		res = legit.run(*dur)
		st := a.stop()
		loadP99 = append(loadP99, res.p(0.99))
		fmt.Printf("round %d  under attack   %6d reads  p50 %s  p99 %s  errors %d  (open at the end: %d; keep-alive requests %d, reconnects %d)\n",
			r+1, len(res.lat), ms(res.p(0.5)), ms(res.p(0.99)), res.errors, st.open, st.requests, st.reconnects)
	}
	i, l := median(idleP99), median(loadP99)
	fmt.Printf("\nmedian p99  idle %s  under attack %s  ratio %.2f (target <= 2)\n", ms(i), ms(l), float64(l)/float64(i))
}

func raiseFiles(want int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= uint64(want) {
		return nil
	}
	if lim.Max < uint64(want) {
		return fmt.Errorf("the open-file limit is %d; %d sockets need %d", lim.Max, want-1024, want)
	}
	lim.Cur = uint64(want)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

func startServer(ward, dir string) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(ward, "server", "--listen", addr, "--data", filepath.Join(dir, "data"), "--log-level", "warn")
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/v1/sys/health"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			log.Fatal("slowloris: ward server did not answer in 30s")
		}
	}
	return addr, func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
}

func initServer(addr string) string {
	var res struct {
		Keys      []string `json:"keys"`
		RootToken string   `json:"root_token"`
	}
	mustDo("PUT", addr, "sys/init", "", `{"secret_shares":1,"secret_threshold":1}`, &res)
	mustDo("PUT", addr, "sys/unseal", "", `{"key":"`+res.Keys[0]+`"}`, nil)
	mustDo("PUT", addr, "sys/ward/envs/prod", res.RootToken, `{}`, nil)
	return res.RootToken
}

func mustDo(method, addr, path, token, body string, out any) {
	req, _ := http.NewRequest(method, "http://"+addr+"/v1/"+path, strings.NewReader(body))
	req.Header.Set("X-Vault-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		log.Fatalf("slowloris: %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		json.Unmarshal(b, out)
	}
}

// legitClient reads one secret, one request after another.
type legitClient struct {
	addr, token string
	http        *http.Client
}

type result struct {
	lat    []time.Duration
	errors int
}

func (r result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func (c *legitClient) call(method, body string) error {
	req, _ := http.NewRequest(method, "http://"+c.addr+"/v1/prod/data/app/db", strings.NewReader(body))
	req.Header.Set("X-Vault-Token", c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

func (c *legitClient) run(d time.Duration) result {
	var res result
	for end := time.Now().Add(d); time.Now().Before(end); {
		t := time.Now()
		if err := c.call("GET", ""); err != nil {
			res.errors++
			continue
		}
		res.lat = append(res.lat, time.Since(t))
	}
	return res
}

// attackerProcess is this program run with -attack: the abusive sockets
// live in another process, as they would on other machines, so that the
// legitimate client's figures are the server's and not this process's
// scheduler's.
type attackerProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startAttacker(addr string, keepalive, idle, slow int, every time.Duration) *attackerProcess {
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(self, "-attack", addr, "-keepalive", fmt.Sprint(keepalive), "-idle", fmt.Sprint(idle),
		"-slow", fmt.Sprint(slow), "-every", every.String())
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	p := &attackerProcess{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	if line, err := p.out.ReadString('\n'); err != nil || line != "ready\n" {
		log.Fatalf("slowloris: the attacking process did not start: %q %v", line, err)
	}
	return p
}

func (p *attackerProcess) stop() attackStats {
	p.stdin.Close()
	var st attackStats
	line, _ := p.out.ReadString('\n')
	fmt.Sscan(line, &st.open, &st.requests, &st.reconnects)
	p.cmd.Wait()
	return st
}

// attacker holds the abusive sockets until stop.
type attacker struct {
	ctx                  context.Context
	cancel               context.CancelFunc
	wg                   sync.WaitGroup
	open                 atomic.Int64
	requests, reconnects atomic.Int64
}

type attackStats struct{ open, requests, reconnects int64 }

func attack(addr string, keepalive, idle, slow int, every time.Duration) *attacker {
	ctx, cancel := context.WithCancel(context.Background())
	a := &attacker{ctx: ctx, cancel: cancel}
	start := func(n int, f func(net.Conn) error) {
		for range n {
			a.wg.Go(func() { a.hold(addr, f) })
		}
	}
	start(keepalive, func(c net.Conn) error { return a.keepAlive(c, every) })
	start(idle, func(c net.Conn) error { <-ctx.Done(); return ctx.Err() })
	start(slow, a.slowloris)
	time.Sleep(2 * time.Second) // let the sockets connect before measuring
	return a
}

// hold keeps one socket of kind f open, reconnecting when the server
// closes it, until the attack stops.
func (a *attacker) hold(addr string, f func(net.Conn) error) {
	first := true
	for a.ctx.Err() == nil {
		if !first {
			a.reconnects.Add(1)
		}
		first = false
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err := d.DialContext(a.ctx, "tcp", addr)
		if err != nil {
			select {
			case <-a.ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		a.open.Add(1)
		stop := context.AfterFunc(a.ctx, func() { c.Close() })
		f(c)
		stop()
		c.Close()
		a.open.Add(-1)
	}
}

func (a *attacker) keepAlive(c net.Conn, every time.Duration) error {
	br := bufio.NewReader(c)
	// Spread the first requests over one period.
	wait := time.Duration(rand.Int64N(int64(every)))
	for {
		select {
		case <-a.ctx.Done():
			return a.ctx.Err()
		case <-time.After(wait):
		}
		wait = every/2 + time.Duration(rand.Int64N(int64(every)))
		if _, err := io.WriteString(c, "GET /v1/sys/health HTTP/1.1\r\nHost: ward\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		a.requests.Add(1)
	}
}

func (a *attacker) slowloris(c net.Conn) error {
	if _, err := io.WriteString(c, "GET /v1/sys/health HTTP/1.1\r\nHost: ward\r\n"); err != nil {
		return err
	}
	for i := 0; ; i++ {
		select {
		case <-a.ctx.Done():
			return a.ctx.Err()
		case <-time.After(2 * time.Second):
		}
		if _, err := fmt.Fprintf(c, "X-Slow-%d: x\r\n", i); err != nil {
			return err
		}
	}
}

func (a *attacker) stop() attackStats {
	st := attackStats{open: a.open.Load(), requests: a.requests.Load(), reconnects: a.reconnects.Load()}
	a.cancel()
	a.wg.Wait()
	return st
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
