// Package crashtest kills a real ward server with SIGKILL, again and
// again, under concurrent writers, and checks that nothing acknowledged
// was lost. It is the crash suite of `make test` (e2e) and of bench/chaos.
//
// One Run starts `ward server` (a built binary) on a store of its own,
// initialises it with one unseal key and creates an environment. Then, for
// each cycle:
//
//  1. Writers (16 by default) write new secrets over HTTP, each to a path
//     of its own that is never written twice; a write answered 200 is
//     acknowledged and remembered with its value.
//  2. After a random 1 to 5 seconds (seeded: the same Seed kills at the
//     same times) the server gets SIGKILL, mid-write.
//  3. The server is started again and unsealed; the time from starting the
//     process to the first write served is the cycle's restart time.
//  4. Every secret acknowledged during the cycle is read back and must have
//     its value, and `ward audit verify` must pass on the audit log.
//
// At the end the server is stopped gracefully and started again, and every
// secret acknowledged in any cycle must be listed (with ReadAllAtEnd, read
// again too).
//
//	rep, err := crashtest.Run(ctx, crashtest.Config{Ward: bin, Dir: t.TempDir(), Cycles: 20})
//	// err: a lost write, a failed verify, a restart over MaxRestart
//	fmt.Println(rep)
package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"time"
)

// ErrLost is wrapped by the error of a Run that found an acknowledged
// write missing or changed after a restart.
var ErrLost = errors.New("an acknowledged write was lost")

// ErrSlowRestart is wrapped by the error of a Run in which a restart took
// longer than Config.MaxRestart.
var ErrSlowRestart = errors.New("a restart took too long")

// Config configures a Run. Zero fields take the documented defaults.
type Config struct {
	Ward string // the ward binary; required
	Dir  string // a directory for the store, the audit log and logs; required
	// Storage is "bolt" (the default) or "postgres"; with postgres, DSN is
	// the connection string, given to ward in WARD_STORAGE_DSN.
	Storage string
	DSN     string

	Cycles     int           // kills; 0: 20
	Writers    int           // concurrent writers; 0: 16
	MinUp      time.Duration // the server is killed after MinUp..MaxUp; 0: 1s
	MaxUp      time.Duration // 0: 5s
	MaxRestart time.Duration // a restart slower than this fails the run; 0: 5s
	Seed       uint64        // seeds the kill times
	// Pace is the least time a writer takes per write (it waits out the
	// rest); 0: none, as fast as the server answers. It bounds how many
	// writes a cycle must read back, so a short suite stays short.
	Pace time.Duration
	// ReadAllAtEnd reads every acknowledged secret again after the last
	// start, not only lists them.
	ReadAllAtEnd bool
	// VerifyEvery runs ward audit verify after every VerifyEvery-th cycle
	// (and always after the last); 0: 1.
	VerifyEvery int
	Logf        func(format string, args ...any) // progress; nil: none
}

// Report is what a Run measured.
type Report struct {
	Cycles   int             // kills done
	Acked    int             // writes acknowledged, all read back
	Failed   int             // writes not acknowledged (refused or cut by a kill)
	Restarts []time.Duration // start of the process to the first write served, per restart
	Verifies int             // audit verifications passed
	Elapsed  time.Duration
}

// RestartMedian and RestartMax summarise Restarts.
func (r Report) RestartMedian() time.Duration { return quantile(r.Restarts, 0.5) }
func (r Report) RestartMax() time.Duration    { return quantile(r.Restarts, 1) }

func (r Report) String() string {
	return fmt.Sprintf("%d kills, %d writes acknowledged and read back, %d not acknowledged, restart to serving median %s max %s, %d audit verifications passed, %s",
		r.Cycles, r.Acked, r.Failed, r.RestartMedian().Round(time.Millisecond), r.RestartMax().Round(time.Millisecond),
		r.Verifies, r.Elapsed.Round(time.Second))
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

const env = "crash"

// Run runs the crash suite. It returns what it measured so far with its
// error.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	r := &runner{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Writers * 2}}}
	start := time.Now()
	err := r.run(ctx)
	r.rep.Elapsed = time.Since(start)
	return r.rep, err
}

func (c *Config) defaults() {
	if c.Storage == "" {
		c.Storage = "bolt"
	}
	if c.Cycles <= 0 {
		c.Cycles = 20
	}
	if c.Writers <= 0 {
		c.Writers = 16
	}
	if c.MinUp <= 0 {
		c.MinUp = time.Second
	}
	if c.MaxUp < c.MinUp {
		c.MaxUp = max(c.MinUp, 5*time.Second)
	}
	if c.MaxRestart <= 0 {
		c.MaxRestart = 5 * time.Second
	}
	if c.VerifyEvery <= 0 {
		c.VerifyEvery = 1
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

type runner struct {
	cfg    Config
	rng    *rand.Rand
	client *http.Client
	addr   string // http://127.0.0.1:PORT, the same for every start
	key    string // the unseal key
	token  string // the root token
	srv    *process
	rep    Report
	all    map[string]string // every acknowledged path → value
}

func (r *runner) run(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	r.addr = "http://" + port
	r.all = map[string]string{}
	if err := r.start(ctx, port); err != nil {
		return err
	}
	defer func() { r.srv.kill() }()
	if err := r.init(ctx); err != nil {
		return err
	}
	for cycle := 1; cycle <= r.cfg.Cycles; cycle++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		up := r.cfg.MinUp + time.Duration(r.rng.Int64N(int64(r.cfg.MaxUp-r.cfg.MinUp)+1))
		acked, failed := r.write(ctx, up) // kills the server mid-write
		r.rep.Cycles++
		r.rep.Failed += failed
		if len(acked) == 0 {
			return fmt.Errorf("cycle %d: no write was acknowledged in %s; the server log is %s", cycle, up, r.srv.logPath)
		}
		took, err := r.restart(ctx, port)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", cycle, err)
		}
		r.rep.Restarts = append(r.rep.Restarts, took)
		if took > r.cfg.MaxRestart {
			return fmt.Errorf("cycle %d: %w: %s to serving, over %s", cycle, ErrSlowRestart, took, r.cfg.MaxRestart)
		}
		checked := time.Now()
		if err := r.readBack(ctx, acked); err != nil {
			return fmt.Errorf("cycle %d (killed after %s): %w", cycle, up, err)
		}
		for p, v := range acked {
			r.all[p] = v
		}
		r.rep.Acked = len(r.all)
		if cycle%r.cfg.VerifyEvery == 0 || cycle == r.cfg.Cycles {
			if err := r.verify(ctx); err != nil {
				return fmt.Errorf("cycle %d: %w", cycle, err)
			}
		}
		r.cfg.Logf("cycle %d: up %s, %d writes acknowledged, %d not, restart %s, checks %s", cycle, up.Round(time.Millisecond),
			len(acked), failed, took.Round(time.Millisecond), time.Since(checked).Round(time.Millisecond))
	}
	// A graceful stop and a fresh start: everything is still there.
	r.srv.stop()
	if _, err := r.restart(ctx, port); err != nil {
		return fmt.Errorf("the last start: %w", err)
	}
	if err := r.listed(ctx); err != nil {
		return fmt.Errorf("after the last start: %w", err)
	}
	if r.cfg.ReadAllAtEnd {
		if err := r.readBack(ctx, r.all); err != nil {
			return fmt.Errorf("after the last start: %w", err)
		}
	}
	r.srv.stop()
	return r.verify(ctx)
}

// freePort returns a loopback address free now, for every start to reuse.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// init initialises the new store and creates the environment.
func (r *runner) init(ctx context.Context) error {
	var res struct {
		Keys      []string `json:"keys"`
		RootToken string   `json:"root_token"`
	}
	if err := r.call(ctx, "PUT", "sys/init", `{"secret_shares":1,"secret_threshold":1}`, &res); err != nil {
		return fmt.Errorf("initialising: %w", err)
	}
	r.key, r.token = res.Keys[0], res.RootToken
	if err := r.unseal(ctx); err != nil {
		return err
	}
	return r.call(ctx, "PUT", "sys/ward/envs/"+env, `{}`, nil)
}

func (r *runner) unseal(ctx context.Context) error {
	return r.call(ctx, "PUT", "sys/unseal", `{"key":"`+r.key+`"}`, nil)
}

// restart starts the server on the killed one's store and returns the time
// from starting the process to the first write it acknowledged.
func (r *runner) restart(ctx context.Context, port string) (time.Duration, error) {
	began := time.Now()
	if err := r.start(ctx, port); err != nil {
		return 0, err
	}
	if err := r.unseal(ctx); err != nil {
		return 0, fmt.Errorf("unsealing after the restart: %w\n%s", err, r.srv.tail())
	}
	body := `{"data":{"v":"restarted"}}`
	if err := r.call(ctx, "POST", env+"/data/restart", body, nil); err != nil {
		return 0, fmt.Errorf("the first write after the restart: %w\n%s", err, r.srv.tail())
	}
	return time.Since(began), nil
}

// write runs the writers for up, kills the server while writes are in
// flight, then returns the acknowledged writes and the count of the others.
func (r *runner) write(ctx context.Context, up time.Duration) (map[string]string, int) {
	stop := make(chan struct{})
	var mu sync.Mutex
	acked := map[string]string{}
	var failed, inflight atomic.Int64
	var wg sync.WaitGroup
	cycle := r.rep.Cycles + 1
	for n := range r.cfg.Writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				began := time.Now()
				path := fmt.Sprintf("c%d/w%d/%d", cycle, n, i)
				value := fmt.Sprintf("%s-%x", path, rand.Uint64())
				inflight.Add(1)
				err := r.call(ctx, "POST", env+"/data/"+path, `{"data":{"v":"`+value+`"}}`, nil)
				inflight.Add(-1)
				if err != nil {
					failed.Add(1)
				} else {
					mu.Lock()
					acked[path] = value
					mu.Unlock()
				}
				if wait := r.cfg.Pace - time.Since(began); wait > 0 {
					select {
					case <-stop:
					case <-time.After(wait):
					}
				}
			}
		})
	}
	select {
	case <-time.After(up):
	case <-ctx.Done():
	}
	// Kill while writes are in flight: with a Pace most writers may be
	// waiting at any one moment, so wait (briefly) for a quarter of them
	// to be mid-request.
	want := int64(max(1, r.cfg.Writers/4))
	for deadline := time.Now().Add(500 * time.Millisecond); inflight.Load() < want && time.Now().Before(deadline); {
		time.Sleep(200 * time.Microsecond)
	}
	r.srv.kill()
	close(stop)
	wg.Wait()
	return acked, int(failed.Load())
}

// readBack reads every path of want, 16 at a time, and checks its value.
func (r *runner) readBack(ctx context.Context, want map[string]string) error {
	paths := make(chan string)
	errc := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for p := range paths {
				var res struct {
					Data struct {
						Data map[string]string `json:"data"`
					} `json:"data"`
				}
				err := r.call(ctx, "GET", env+"/data/"+p, "", &res)
				if err == nil && res.Data.Data["v"] != want[p] {
					err = fmt.Errorf("%w: %s reads %q, acknowledged as %q", ErrLost, p, res.Data.Data["v"], want[p])
				} else if err != nil {
					err = fmt.Errorf("%w: reading %s: %w", ErrLost, p, err)
				}
				if err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		})
	}
	for p := range want {
		select {
		case paths <- p:
		case err := <-errc:
			close(paths)
			wg.Wait()
			return err
		}
	}
	close(paths)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// listed checks that every acknowledged path is listed under its writer's
// prefix.
func (r *runner) listed(ctx context.Context) error {
	prefixes := map[string][]string{} // "c1/w0/" → its acknowledged names
	for p := range r.all {
		i := strings.LastIndexByte(p, '/') + 1
		prefixes[p[:i]] = append(prefixes[p[:i]], p[i:])
	}
	for prefix, names := range prefixes {
		var res struct {
			Data struct {
				Keys []string `json:"keys"`
			} `json:"data"`
		}
		if err := r.call(ctx, "LIST", env+"/metadata/"+prefix, "", &res); err != nil {
			return fmt.Errorf("%w: listing %s: %w", ErrLost, prefix, err)
		}
		have := map[string]bool{}
		for _, k := range res.Data.Keys {
			have[k] = true
		}
		for _, n := range names {
			if !have[n] {
				return fmt.Errorf("%w: %s%s is not listed any more", ErrLost, prefix, n)
			}
		}
	}
	return nil
}

// verify runs ward audit verify on the audit log.
func (r *runner) verify(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, r.cfg.Ward, "audit", "verify", filepath.Join(r.cfg.Dir, "data", "audit.log"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ward audit verify: %w\n%s", err, out)
	}
	r.rep.Verifies++
	return nil
}

// call sends one API request; a status other than 200 or 204 is an error.
func (r *runner) call(ctx context.Context, method, path, body string, out any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.addr+"/v1/"+path, rd)
	if err != nil {
		return err
	}
	if r.token != "" {
		req.Header.Set("X-Vault-Token", r.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// process is one ward server.
type process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

// start starts ward server on port and waits until it answers (sealed).
func (r *runner) start(ctx context.Context, port string) error {
	data := filepath.Join(r.cfg.Dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	logPath := filepath.Join(r.cfg.Dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"server", "--listen", port, "--data", data, "--log-level", "warn"}
	if r.cfg.Storage == "postgres" {
		args = append(args, "--storage", "postgres")
	}
	cmd := exec.Command(r.cfg.Ward, args...)
	cmd.Env = append(os.Environ(), "WARD_TOKEN=", "WARD_ADDR=")
	if r.cfg.Storage == "postgres" {
		cmd.Env = append(cmd.Env, "WARD_STORAGE_DSN="+r.cfg.DSN)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	r.srv = p
	for deadline := time.Now().Add(30 * time.Second); ; {
		req, _ := http.NewRequestWithContext(ctx, "GET", r.addr+"/v1/sys/health", nil)
		if resp, err := r.client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("ward server exited before serving:\n%s", p.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ward server did not answer in 30s:\n%s", p.tail())
		}
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM and waits; SIGKILL after 20s.
func (p *process) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.kill()
	}
}

// tail returns the last lines of the server's log.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.logPath)
	sc := bufio.NewScanner(bytes.NewReader(b))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}
