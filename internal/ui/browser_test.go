package ui_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/wardhq/ward/internal/audit"
	"github.com/wardhq/ward/internal/detect"
	"github.com/wardhq/ward/internal/ui"
)

// The browser tests drive Debian's headless Chromium with chromedp. Where
// Chromium is absent they skip, unless WARD_TEST_BROWSER_REQUIRED=1.
// Screenshots go to $WARD_UI_SCREENSHOTS, or to ward-ui-screenshots in
// the system's temporary directory.

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("WARD_TEST_BROWSER_REQUIRED") == "1" {
		t.Fatal("no Chromium, and WARD_TEST_BROWSER_REQUIRED=1; install Debian's chromium and chromium-driver packages")
	}
	t.Skip("no Chromium on this machine: the browser tests need Debian's chromium package (make test installs it)")
	return ""
}

// axe-core, the accessibility checker, is fetched at test time with npm
// into the user's cache, pinned by version and sha512 (the registry's
// integrity value), and injected into each page.
const (
	axeVersion   = "4.10.3"
	axeIntegrity = "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
)

func axeSource(t *testing.T) string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "ward-test", "axe-core-"+axeVersion)
	tgz := filepath.Join(dir, "axe-core-"+axeVersion+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("npm", "pack", "axe-core@"+axeVersion, "--pack-destination", dir).CombinedOutput()
		if err != nil {
			if os.Getenv("WARD_TEST_BROWSER_REQUIRED") == "1" {
				t.Fatalf("npm pack axe-core: %v\n%s", err, out)
			}
			t.Logf("no accessibility check: npm pack axe-core failed: %v", err)
			return ""
		}
	}
	b, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(b)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != axeIntegrity {
		os.Remove(tgz)
		t.Fatalf("axe-core %s: integrity %s, want %s", axeVersion, got, axeIntegrity)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("axe-core %s: no package/axe.min.js: %v", axeVersion, err)
		}
		if h.Name == "package/axe.min.js" {
			src, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(src)
		}
	}
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("WARD_UI_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ward-ui-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium for the whole test.
type browser struct {
	t    *testing.T
	ctx  context.Context
	w    *world
	axe  string
	shot string

	mu        sync.Mutex
	responses []network.RequestID // guarded by mu: every answer the page loaded
	answers   int                 // answers read back by checkAnswers
}

func newBrowser(t *testing.T, w *world) *browser {
	exe := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	b := &browser{t: t, w: w, axe: axeSource(t), shot: screenshotDir(t)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventLoadingFinished); ok {
			b.mu.Lock()
			b.responses = append(b.responses, e.RequestID)
			b.mu.Unlock()
		}
	}))
	ctx, cancelT := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b.ctx = ctx
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// stepTimeout bounds one step, so a page that does not come says which.
const stepTimeout = 40 * time.Second

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatal(what, err)
	}
}

func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fatal(what, err)
	}
	return v
}

// fatal ends the test, saying what the page showed.
func (b *browser) fatal(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	b.t.Fatalf("%s: %v\nthe page (%s) says:\n%s", what, err, loc, text)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, "reading "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func (b *browser) html() string {
	b.t.Helper()
	return run(b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html")))
}

// screenshot saves the page as NAME.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.answers += b.checkAnswers()
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	// WARD_UI_DOCS=DIR also writes the small viewport shots the README
	// shows (docs/ui/).
	if dir := os.Getenv("WARD_UI_DOCS"); dir != "" {
		b.do("resizing for "+name, chromedp.EmulateViewport(1024, 640))
		png := run(b, "docs screenshot "+name, chromedp.CaptureScreenshot())
		b.do("resizing back", chromedp.ResetViewport())
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the page and fails on every WCAG 2.1 A/AA
// violation.
func (b *browser) accessible(page string) {
	b.t.Helper()
	if b.axe == "" {
		return
	}
	run(b, "loading axe-core", chromedp.Evaluate[bool](b.axe+";true"))
	js := `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => ({passes: r.passes.map(p => p.id), violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))}))`
	res := run(b, "axe on "+page, chromedp.Evaluate[struct {
		Passes     []string    `json:"passes"`
		Violations []violation `json:"violations"`
	}](js, chromedp.EvalAwaitPromise))
	for _, v := range res.Violations {
		b.t.Errorf("%s: accessibility: %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
	}
	// The checks that matter most here must have run and passed.
	for _, rule := range []string{"color-contrast", "html-has-lang", "document-title", "bypass"} {
		if !slices.Contains(res.Passes, rule) {
			b.t.Errorf("%s: axe-core rule %s did not pass (passed: %v)", page, rule, res.Passes)
		}
	}
	if !slices.Contains(res.Passes, "label") && !slices.Contains(res.Passes, "select-name") {
		b.t.Errorf("%s: no form control's label was checked (passed: %v)", page, res.Passes)
	}
}

// checkAnswers reads back every answer the browser received since the
// last call, while the page that loaded them still holds them, and fails
// on a canary value in any. It returns how many it could read.
func (b *browser) checkAnswers() int {
	b.t.Helper()
	b.mu.Lock()
	ids := b.responses
	b.responses = nil
	b.mu.Unlock()
	read := 0
	for _, id := range ids {
		res, err := chromedp.Call(b.ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err == nil {
			read++
			noCanary(b.t, "an answer to the browser", string(res.Body))
		}
	}
	return read
}

// noCanary fails if a canary value is in s.
func noCanary(t *testing.T, where, s string) {
	t.Helper()
	for _, c := range []string{stagingCanary, prodCanary, "CANARY-"} {
		if strings.Contains(s, c) {
			t.Errorf("%s holds a secret value (%s)", where, c)
		}
	}
}

func TestBrowser(t *testing.T) {
	w := newWorld(t)
	w.seed()
	b := newBrowser(t, w)
	u := w.url

	// Sign in: password, TOTP code, staging.
	b.do("the sign-in page, from the server's address",
		chromedp.Navigate(u+"/"),
		chromedp.WaitVisible(chromedp.ID("#username")),
	)
	b.screenshot("1-signin")
	b.accessible("sign-in")
	// Without a code, and with a wrong one, alice is refused.
	good := w.code()
	n, _ := strconv.Atoi(good)
	for _, code := range []string{"", fmt.Sprintf("%06d", (n+1)%1000000)} {
		b.do("signing in with code "+code,
			chromedp.Navigate(u+"/ui/login"),
			chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
			chromedp.SendKeys(chromedp.CSS("#password"), alicePassword),
			chromedp.SendKeys(chromedp.CSS("#totp"), code),
			chromedp.SendKeys(chromedp.CSS("#env"), "staging"),
			chromedp.Submit(chromedp.CSS("#username")),
			chromedp.WaitVisible(chromedp.ID("signin-error")),
		)
		if e := b.text("#signin-error"); !strings.Contains(e, "code") {
			t.Errorf("sign-in with code %q: %q", code, e)
		}
	}
	b.do("signing in",
		chromedp.Navigate(u+"/ui/login"),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), alicePassword),
		chromedp.SendKeys(chromedp.CSS("#totp"), good),
		chromedp.SendKeys(chromedp.CSS("#env"), "staging"),
		chromedp.Submit(chromedp.CSS("#username")),
		chromedp.WaitVisible(chromedp.CSS(".stats")),
	)
	if h := b.text("h1"); !strings.Contains(h, "staging") {
		t.Fatalf("after sign-in the page says %q, want the staging environment", h)
	}
	// The environments view counts what alice may see in staging: 15
	// secrets, one overdue (shared/sentry), one due soon (payments/stripe).
	stats := b.text(".stats")
	for _, want := range []string{"15 secrets", "1 overdue", "1 due within 14 days"} {
		if !strings.Contains(strings.Join(strings.Fields(stats), " "), want) {
			t.Errorf("environment summary %q lacks %q", stats, want)
		}
	}
	b.screenshot("2-environment")
	b.accessible("environment")

	// The inventory, then search as you type.
	b.do("the inventory", chromedp.Navigate(u+"/ui/secrets"), chromedp.WaitVisible(chromedp.CSS("table.inventory")))
	if c := b.text("p.count"); !strings.Contains(c, "15 secrets") {
		t.Errorf("inventory count %q, want 15 secrets", c)
	}
	b.screenshot("3-secrets")
	b.accessible("secrets")
	b.do("searching",
		chromedp.SendKeys(chromedp.CSS("#q"), "stri"),
	)
	run(b, "search as you type", chromedp.Poll[bool](`document.querySelector("p.count").textContent.startsWith("1 secret")`, chromedp.WithPollingTimeout(30*time.Second)))
	loc := run(b, "reading the address", chromedp.Location())
	if !strings.Contains(loc, "q=stri") {
		t.Errorf("after searching the address is %s, want q=stri in it", loc)
	}
	if rows := b.text("table.inventory tbody"); !strings.Contains(rows, "payments/stripe") || strings.Contains(rows, "payments/db") {
		t.Errorf("search for stri shows %q", rows)
	}
	b.screenshot("3b-secrets-search")

	// Follow a secret.
	b.do("following a secret",
		chromedp.Navigate(u+"/ui/secrets?q=payments"),
		chromedp.Click(chromedp.CSS(`a[href="/ui/secrets/payments/db"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1.path")),
	)
	if h := b.text("h1.path"); h != "payments/db" {
		t.Errorf("secret page heading %q", h)
	}
	page := b.text("main")
	for _, want := range []string{"team-payments", "postgres", "password", "sensitive", "every 90d", "api, worker", "root"} {
		if !strings.Contains(page, want) {
			t.Errorf("the secret's page lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(page), "reveal") {
		t.Error("the secret's page offers to reveal something")
	}
	b.screenshot("4-secret")
	b.accessible("secret")

	// Access: alice simulates the CI policy and explains one path.
	b.do("access",
		chromedp.Navigate(u+"/ui/access?policies=ci-api&path=payments/db&op=read"),
		chromedp.WaitVisible(chromedp.CSS(".verdict")),
	)
	if v := b.text(".verdict"); !strings.Contains(v, "Allowed") || !strings.Contains(v, "ci-api") {
		t.Errorf("explain says %q, want allowed by ci-api", v)
	}
	b.do("access denied", chromedp.Navigate(u+"/ui/access?policies=ci-api&path=api/stripe&op=read"), chromedp.WaitVisible(chromedp.CSS(".verdict")))
	if v := b.text(".verdict"); !strings.Contains(v, "Denied") {
		t.Errorf("explain of api/stripe says %q, want denied", v)
	}
	b.do("access by CI role", chromedp.Navigate(u+"/ui/access?role=api-staging&path=payments/stripe&op=read"), chromedp.WaitVisible(chromedp.CSS(".verdict")))
	if v := b.text(".verdict"); !strings.Contains(v, "Allowed") || !strings.Contains(v, "ci-api") {
		t.Errorf("explain for the CI role says %q, want allowed by ci-api", v)
	}
	b.do("access", chromedp.Navigate(u+"/ui/access?policies=ci-api&path=payments/db&op=read"), chromedp.WaitVisible(chromedp.CSS(".verdict")))
	b.screenshot("5-access")
	b.accessible("access")

	// Audit timeline, with a live update.
	b.do("audit", chromedp.Navigate(u+"/ui/audit"), chromedp.WaitVisible(chromedp.ID("#timeline")))
	if rows := b.text("#timeline tbody"); !strings.Contains(rows, "staging/data/payments/db") {
		t.Errorf("the timeline lacks the read of payments/db: %q", rows)
	}
	w.must("GET", "staging/metadata/worker/queue-07", w.root, "")
	run(b, "live update", chromedp.Poll[bool](`!!document.querySelector("#timeline tr.fresh") && document.querySelector("#timeline tbody").textContent.includes("worker/queue-07")`,
		chromedp.WithPollingTimeout(30*time.Second)))
	b.screenshot("6-audit")
	b.accessible("audit")
	b.do("audit filtered", chromedp.Navigate(u+"/ui/audit?path=payments/db&identity=root"), chromedp.WaitVisible(chromedp.ID("#timeline")))
	if rows := b.text("#timeline tbody"); strings.Contains(rows, "queue-07") || !strings.Contains(rows, "payments/db") {
		t.Errorf("the filtered timeline shows %q", rows)
	}

	// Alerts: staging's break-glass read, explained; prod's is not shown.
	b.do("alerts", chromedp.Navigate(u+"/ui/alerts"), chromedp.WaitVisible(chromedp.CSS("ol.alerts")))
	list := b.text("main")
	for _, want := range []string{"Break-glass or retired secret read", "sensitive_path", "staging/shared/sentry", "What it means", "1 alert not acknowledged; 1 more belong to other environments"} {
		if !strings.Contains(list, want) {
			t.Errorf("the alerts view lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(b.html(), "prodonly") {
		t.Error("a staging session's alerts view names a prod path")
	}
	b.screenshot("7-alerts")
	b.accessible("alerts")
	var stagingAlert, prodAlert string
	for _, a := range w.detect.Alerts(detect.Filter{}) {
		switch a.Environment {
		case "staging":
			stagingAlert = a.ID
		case "prod":
			prodAlert = a.ID
		}
	}
	if stagingAlert == "" || prodAlert == "" {
		t.Fatalf("the detectors raised %+v, want a staging and a prod alert", w.detect.Alerts(detect.Filter{}))
	}
	// Acknowledging needs the CSRF token, and reaches only this
	// environment's alerts.
	ack := func(csrf, id string) int {
		t.Helper()
		js := fmt.Sprintf(`fetch("/ui/alerts/ack", {method: "POST", body: new URLSearchParams({csrf: %q, id: %q})}).then(r => r.status)`, csrf, id)
		if csrf == "page" {
			js = fmt.Sprintf(`fetch("/ui/alerts/ack", {method: "POST", body: new URLSearchParams({csrf: document.querySelector("input[name=csrf]").value, id: %q})}).then(r => r.status)`, id)
		}
		return run(b, "ack "+id, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
	}
	if st := ack("wrong", stagingAlert); st != http.StatusForbidden {
		t.Errorf("ack with a wrong CSRF token: %d, want 403", st)
	}
	if st := ack("page", prodAlert); st != http.StatusNotFound {
		t.Errorf("ack of prod's alert from staging: %d, want 404", st)
	}
	for _, a := range w.detect.Alerts(detect.Filter{}) {
		if a.AckedBy != "" {
			t.Errorf("alert %s (%s) acknowledged by %q before anyone clicked", a.ID, a.Environment, a.AckedBy)
		}
	}
	b.do("acknowledging", chromedp.Click(chromedp.CSS(`form[action="/ui/alerts/ack"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if n := b.text(".notice"); !strings.Contains(n, stagingAlert) || !strings.Contains(b.text("ol.alerts"), "No alert waits") {
		t.Errorf("after acknowledging: %q\n%s", n, b.text("main"))
	}
	for _, a := range w.detect.Alerts(detect.Filter{}) {
		if a.ID == stagingAlert && !strings.Contains(a.AckedBy, "alice") || a.ID == prodAlert && a.AckedBy != "" {
			t.Errorf("alert %s (%s) acknowledged by %q", a.ID, a.Environment, a.AckedBy)
		}
	}
	b.do("all alerts", chromedp.Navigate(u+"/ui/alerts?state=all"), chromedp.WaitVisible(chromedp.CSS("ol.alerts")))
	if l := b.text("ol.alerts"); !strings.Contains(l, "acknowledged") || !strings.Contains(l, "alice") {
		t.Errorf("all alerts: %q", l)
	}

	// Rotation: a rotation in its overlap, a retirement, a secret that
	// needs a person (the scheduler's tick), and a drill in each
	// environment; the staging session sees staging's only.
	w.must("POST", "staging/metadata/ci/deploy", w.root, jsonBody(map[string]any{"custom_metadata": map[string]string{"type": "password", "owner": "team-ci", "recipients": "api"}}))
	w.must("POST", "staging/data/ci/deploy", w.root, `{"data": {"username": "deploy", "password": "`+stagingCanary+`"}}`)
	w.must("POST", "sys/ward/rotate/staging/ci/deploy", w.root, "")
	rotated := w.must("GET", "staging/data/ci/deploy", w.root, "")["data"].(map[string]any)["data"].(map[string]any)["password"].(string)
	w.must("POST", "staging/metadata/legacy/ftp", w.root, jsonBody(map[string]any{"custom_metadata": map[string]string{"owner": "team-data"}}))
	w.must("POST", "staging/data/legacy/ftp", w.root, `{"data": {"password": "`+stagingCanary+`"}}`)
	w.must("POST", "sys/ward/retire/staging/legacy/ftp", w.root, `{"reason": "FTP export replaced by S3"}`)
	// The scheduler, two minutes on: ops/pager-key is due and has no
	// generator.
	w.must("POST", "staging/metadata/ops/pager-key", w.root, jsonBody(map[string]any{"custom_metadata": map[string]string{"owner": "team-ops", "rotate_every": "1m"}}))
	w.must("POST", "staging/data/ops/pager-key", w.root, `{"data": {"key": "`+stagingCanary+`"}}`)
	w.clk.advance(2 * time.Minute)
	if err := w.v.RotateDue(context.Background()); err != nil {
		t.Logf("the scheduler's tick: %v", err)
	}
	prodDrill := w.must("POST", "sys/ward/drill/prod", w.root, `{"prefix": "payments"}`)["data"].(map[string]any)["id"].(string)
	stagingDrill := w.must("POST", "sys/ward/drill/staging", w.root, `{"prefix": "worker"}`)["data"].(map[string]any)["id"].(string)
	b.do("rotation", chromedp.Navigate(u+"/ui/rotation"), chromedp.WaitVisible(chromedp.ID("rot-drills")))
	for sel, wants := range map[string][]string{
		"#rot-overlap": {"ci/deploy", "1 → 2", "api"},
		"#rot-person":  {"ops/pager-key", "team-ops"},
		"#rot-recent":  {"ci/deploy", "rotated", "legacy/ftp", "retired", "by root", "FTP export replaced by S3"},
		"#rot-drills":  {stagingDrill, "worker/", "by root", "worker/queue-00", "needs a person (team-worker)"},
	} {
		got := strings.Join(strings.Fields(b.text(sel)), " ")
		for _, want := range wants {
			if !strings.Contains(got, want) {
				t.Errorf("the rotation view's %s lacks %q:\n%s", sel, want, got)
			}
		}
	}
	if h := b.html(); strings.Contains(h, prodDrill) || strings.Contains(h, "prodonly") || strings.Contains(h, rotated) {
		t.Error("the staging session's rotation view shows prod's drill, or a value")
	}
	b.screenshot("8-rotation")
	b.accessible("rotation")
	b.do("a rotated secret", chromedp.Navigate(u+"/ui/secrets/ci/deploy"), chromedp.WaitVisible(chromedp.ID("rotation")))
	if r := strings.Join(strings.Fields(b.text("#rotation")), " "); !strings.Contains(r, "version 1 → 2") || !strings.Contains(r, "May still hold version 1 api") {
		t.Errorf("the secret's rotation block: %q", r)
	}
	if strings.Contains(b.html(), rotated) {
		t.Error("the secret's page shows the rotated value")
	}

	// A staging session cannot see prod.
	b.do("prod from staging", chromedp.Navigate(u+"/ui/secrets?q=prodonly"), chromedp.WaitVisible(chromedp.CSS("p.count")))
	if c := b.text("p.count"); !strings.HasPrefix(c, "0 secrets") {
		t.Errorf("a staging session finds prod's secret: %q", c)
	}
	b.do("prod secret page from staging", chromedp.Navigate(u+"/ui/secrets/prodonly/launch-codes"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h := b.text("h1"); !strings.Contains(h, "Not Found") {
		t.Errorf("a staging session opens prod's secret: %q", h)
	}
	if s := b.html(); strings.Contains(s, "team-secret") {
		t.Error("a staging session shows prod's metadata")
	}

	// A state change without the CSRF token fails, and changes nothing.
	status := run(b, "logout without CSRF", chromedp.Evaluate[int](`fetch("/ui/logout", {method: "POST", body: new URLSearchParams({csrf: "wrong"})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Errorf("sign-out with a wrong CSRF token: status %d, want 403", status)
	}
	status = run(b, "logout without CSRF", chromedp.Evaluate[int](`fetch("/ui/logout", {method: "POST"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: status %d, want 403", status)
	}
	b.do("still signed in", chromedp.Navigate(u+"/ui/envs"), chromedp.WaitVisible(chromedp.CSS(".stats")))

	// No canary in any answer the browser received, nor in its storage.
	if read := b.answers + b.checkAnswers(); read < 20 {
		t.Errorf("only %d answers could be read back from the browser", read)
	}
	storage := run(b, "reading storage", chromedp.Evaluate[string](`JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie`))
	noCanary(t, "the browser's storage", storage)
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range cookies.Cookies {
		noCanary(t, "a cookie", c.Value)
		if c.Name == "ward_ui" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict", session)
	}
	if strings.Contains(storage, "ward_ui=") {
		t.Error("the session cookie is readable from script")
	}

	// Every page over plain HTTP with the session: the CSP header, and no
	// canary.
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(u + "/ui/")
	jar.SetCookies(base, []*http.Cookie{{Name: session.Name, Value: session.Value, Path: "/ui/"}})
	client := &http.Client{Jar: jar}
	for _, p := range []string{"/ui/login", "/ui/envs", "/ui/secrets", "/ui/secrets?per_page=500", "/ui/secrets?sort=bogus", "/ui/secrets?partial=1&q=payments", "/ui/secrets/payments/db", "/ui/secrets/payments/stripe",
		"/ui/secrets/shared/sentry", "/ui/access?policies=people", "/ui/audit", "/ui/audit/feed?after=0", "/ui/alerts", "/ui/alerts?state=all&detector=sensitive_path", "/ui/rotation", "/ui/secrets/ci/deploy", "/ui/static/ui.js"} {
		resp, err := client.Get(u + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != ui.CSP || !strings.Contains(got, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, got)
		}
		noCanary(t, "GET "+p, string(body))
		if strings.Contains(string(body), rotated) {
			t.Errorf("GET %s holds the rotated secret's new value", p)
		}
	}

	revokes := func() int {
		t.Helper()
		res, err := audit.Query(context.Background(), w.audit, audit.Filter{Path: "auth/token/revoke-self", Identity: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range res.Records {
			if r.Status == http.StatusNoContent {
				n++
			}
		}
		return n
	}
	opens := func(path string) string {
		t.Helper()
		resp, err := client.Get(u + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Request.URL.Path
	}

	// The switcher signs in to prod (a new TOTP code), which replaces the
	// staging session and revokes its token; prod's secrets then show.
	before := revokes()
	w.clk.advance(30 * time.Second)
	b.do("switching to prod",
		chromedp.SetValue(chromedp.CSS("#switch-env"), "prod"),
		chromedp.Click(chromedp.CSS(`form[action="/ui/switch"] button`)),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	if v := run(b, "the environment asked", chromedp.Value(chromedp.CSS("#env"))); v != "prod" {
		t.Errorf("the switcher's sign-in form names %q, want prod", v)
	}
	b.do("signing in to prod",
		chromedp.SendKeys(chromedp.CSS("#password"), alicePassword),
		chromedp.SendKeys(chromedp.CSS("#totp"), w.code()),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".stats")),
		chromedp.Navigate(u+"/ui/secrets?q=prodonly"),
		chromedp.WaitVisible(chromedp.CSS("table.inventory")),
	)
	if rows := b.text("table.inventory tbody"); !strings.Contains(rows, "prodonly/launch-codes") {
		t.Errorf("the prod session does not list prod's secret: %q", rows)
	}
	if got := revokes(); got != before+1 {
		t.Errorf("switching environments revoked %d tokens, want 1", got-before)
	}
	if p := opens("/ui/envs"); p != "/ui/login" {
		t.Errorf("after switching, the staging session still opens %s", p)
	}
	b.answers += b.checkAnswers()

	// Keyboard: the first Tab reaches the skip link, which moves focus to
	// the page's content.
	b.do("keyboard", chromedp.Navigate(u+"/ui/envs"), chromedp.WaitVisible(chromedp.CSS(".stats")), chromedp.KeyEvent("\t"))
	if f := run(b, "focus", chromedp.Evaluate[string](`document.activeElement.textContent`)); f != "Skip to content" {
		t.Errorf("the first Tab focuses %q, want the skip link", f)
	}
	b.do("skip", chromedp.KeyEvent("\r"))
	if f := run(b, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); f != "main" {
		t.Errorf("the skip link moves focus to %q, want main", f)
	}

	// Sign out revokes the token.
	before = revokes()
	b.do("signing out", chromedp.Click(chromedp.CSS(`form[action="/ui/logout"] button`)), chromedp.WaitVisible(chromedp.ID("username")))
	if got := revokes(); got != before+1 {
		t.Errorf("signing out revoked %d tokens, want 1", got-before)
	}
	b.checkAnswers()
	t.Logf("screenshots in %s", b.shot)
}
