package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wardhq/ward/internal/job"
	"github.com/wardhq/ward/internal/startgc"
)

// TestMain lets testscript run this test binary as the ward command.
func TestMain(m *testing.M) {
	startgc.Resume() // the tests run the commands without mainCode
	testscript.Main(m, map[string]func(){
		"ward": func() { os.Exit(mainCode()) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each is a txtar
// archive of commands and files, as a user would type them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			port, err := freePort()
			if err != nil {
				return err
			}
			env.Setenv("LISTEN", "127.0.0.1:"+strconv.Itoa(port))
			env.Setenv("WARD_ADDR", "http://127.0.0.1:"+strconv.Itoa(port))
			env.Setenv("WARD_CONFIG_DIR", env.WorkDir+"/.ward")
			env.Setenv("WARD_TOKEN", "")
			return nil
		},
		// [userns]: ward run can hide the token file from its command.
		Condition: func(cond string) (bool, error) {
			if cond == "userns" {
				return job.CanIsolate() == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// waitserver waits until the server at $WARD_ADDR answers.
			"waitserver": func(ts *testscript.TestScript, neg bool, args []string) {
				addr := ts.Getenv("WARD_ADDR")
				deadline := time.Now().Add(30 * time.Second)
				for time.Now().Before(deadline) {
					resp, err := http.Get(addr + "/v1/sys/health")
					if err == nil {
						resp.Body.Close()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				ts.Fatalf("no ward server at %s after 30s", addr)
			},
		},
	})
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
