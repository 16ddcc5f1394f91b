package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/demo"
)

// console records what a command writes to stdout and stderr in the
// order it was written, as a terminal shows the two streams.
type console struct {
	mu     sync.Mutex
	chunks []chunk
}

type chunk struct {
	stderr bool
	text   string
}

type consoleStream struct {
	c      *console
	stderr bool
}

func (s consoleStream) Write(p []byte) (int, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.chunks = append(s.c.chunks, chunk{s.stderr, string(p)})
	return len(p), nil
}

func (c *console) streams() (stdout, stderr consoleStream) {
	return consoleStream{c, false}, consoleStream{c, true}
}

// snapshot returns the chunks so far and the two streams' text.
func (c *console) snapshot() (chunks []chunk, stdout, stderr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var o, e strings.Builder
	for _, ch := range c.chunks {
		if ch.stderr {
			e.WriteString(ch.text)
		} else {
			o.WriteString(ch.text)
		}
	}
	return append([]chunk(nil), c.chunks...), o.String(), e.String()
}

// serveUntilBlock starts `yiwang serve args...` in-process and waits for
// its closing block; stop ends it and reports its exit code.
func serveUntilBlock(t *testing.T, args ...string) (c *console, stop func() int) {
	t.Helper()
	c = &console{}
	out, errw := c.streams()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), out, errw) }()
	stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop on cancel")
			return -1
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			_, o, e := c.snapshot()
			t.Fatalf("serve ended with %d before its closing block\nstdout:\n%s\nstderr:\n%s", code, o, e)
		case <-time.After(20 * time.Millisecond):
		}
		if _, o, _ := c.snapshot(); strings.Count(o, bannerRule) >= 2 {
			return c, stop
		}
	}
	stop()
	_, o, e := c.snapshot()
	t.Fatalf("no closing block\nstdout:\n%s\nstderr:\n%s", o, e)
	return nil, nil
}

var openLine = regexp.MustCompile(`打开 Open:  (http://\S+)`)

// TestServeClosingBlock starts the demo as `make demo` does (on a smaller
// history of 400 cases, loaded first by `yiwang demo`, whose open cases
// past their deadlines leave the timers a backlog) at the default log level,
// with a fast timer tick. The closing block — address, demo accounts and
// password, data dir — must be the last thing printed on either stream
// while the server runs, its address must answer, and no per-timer
// "timer fired" line may reach the log: the backlog is one summary line
// before the block. Outside demo mode the block names no accounts.
func TestServeClosingBlock(t *testing.T) {
	// The flags below say everything; an operator's environment must not.
	for _, v := range []string{"YIWANG_LOG_LEVEL", "YIWANG_DEMO", "YIWANG_DEMO_PASSWORD", "YIWANG_DB", "YIWANG_FILES", "YIWANG_METRICS_ADDR",
		"YIWANG_TIMER_TICK", "YIWANG_PII_KEYS", "YIWANG_CRYPTO", "YIWANG_NATS", "YIWANG_WEBHOOK"} {
		t.Setenv(v, "")
	}
	data := filepath.Join(t.TempDir(), "yiwang-data")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--data", data, "--cases", "400"}, &out, &errb); code != 0 {
		t.Fatalf("demo load: %d %s", code, errb.String())
	}

	c, stop := serveUntilBlock(t, "--demo", "--addr", "127.0.0.1:0", "--data", data, "--timer-tick", "20ms")
	_, stdout, _ := c.snapshot()
	m := openLine.FindStringSubmatch(stdout)
	if m == nil {
		stop()
		t.Fatalf("no address in the block:\n%s", stdout)
	}
	res, err := http.Get(m[1] + "/healthz")
	if err != nil {
		stop()
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET %s/healthz: %d", m[1], res.StatusCode)
	}
	// Let the timer loop run a few more rounds (20 ms each) after the
	// block; anything it logs at the default level would come after it.
	time.Sleep(300 * time.Millisecond)
	chunks, stdout, stderr := c.snapshot()
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}

	last := chunks[len(chunks)-1]
	if last.stderr || !strings.HasSuffix(last.text, bannerRule+"\n") || !strings.HasPrefix(last.text, bannerRule+"\n") {
		t.Errorf("the closing block is not the last thing printed; last chunk (stderr %v):\n%s", last.stderr, last.text)
	}
	for _, want := range []string{"一网统管 yiwang 已启动 / is running", "演示账号 Demo accounts (密码 password: yiwang-demo):",
		"operator1 受理员", "dispatcher 指挥中心", "admin 管理员", "leping 乐坪街道", "wgy001 网格员", "discipline 纪委监委",
		"数据目录 Data: " + data + "\n", "按 Ctrl+C 停止 / Ctrl+C to stop"} {
		if !strings.Contains(last.text, want) {
			t.Errorf("the closing block lacks %q:\n%s", want, last.text)
		}
	}
	if strings.Contains(stderr, `msg="timer fired"`) {
		t.Errorf("routine timer lines at the default level:\n%s", stderr)
	}
	if !regexp.MustCompile(`msg="deadline timers fired at start-up" fired=[1-9]`).MatchString(stderr) {
		t.Errorf("the start-up backlog of timers is not summed up (or the demo left none):\n%s", stderr)
	}
	if strings.Count(stdout, bannerRule) != 2 {
		t.Errorf("stdout holds more than the block:\n%s", stdout)
	}

	// Outside demo mode: address and data dir, no accounts.
	c, stop = serveUntilBlock(t, "--addr", "127.0.0.1:0", "--data", data)
	chunks, _, _ = c.snapshot()
	stop()
	block := chunks[len(chunks)-1].text
	if strings.Contains(block, "演示账号") || strings.Contains(block, "operator1") || !strings.Contains(block, "数据目录 Data: "+data+"\n") || !openLine.MatchString(block) {
		t.Errorf("closing block outside demo mode:\n%s", block)
	}
}

// TestClosingBlockPassword: the block prints the demo's public password
// only when it opens the accounts; a password the operator chose is never
// printed back, and accounts loaded earlier with another password are
// not promised the default. A listener on every interface is opened as
// 127.0.0.1.
func TestClosingBlockPassword(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: data, Demo: true, DemoCases: 5, DemoPassword: "county-secret-9", TimerTick: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	chosen := closingBlock(ctx, a.Store, bannerInfo{addr: addr, dataDir: data, demo: true, password: "county-secret-9", passwordSet: true})
	if strings.Contains(chosen, "county-secret-9") || !strings.Contains(chosen, "(密码 password: --demo-password 所设 / as given with --demo-password):") {
		t.Errorf("block with a chosen password:\n%s", chosen)
	}
	if !strings.Contains(chosen, "打开 Open:  http://127.0.0.1:8080\n") || !strings.Contains(chosen, "0.0.0.0:8080") {
		t.Errorf("block for a listener on every interface:\n%s", chosen)
	}
	stale := closingBlock(ctx, a.Store, bannerInfo{addr: addr, dataDir: data, demo: true, password: demo.DefaultPassword})
	if strings.Contains(stale, demo.DefaultPassword) || !strings.Contains(stale, "首次载入演示时所设 / as set when the demo was first loaded") {
		t.Errorf("block over accounts loaded with another password:\n%s", stale)
	}
	pg := closingBlock(ctx, a.Store, bannerInfo{addr: addr, dbURL: "postgres://yiwang:hunter2@db.county.local/yiwang", filesDir: "/srv/files"})
	if strings.Contains(pg, "hunter2") || strings.Contains(pg, "演示账号") || !strings.Contains(pg, "附件目录 Files: /srv/files") {
		t.Errorf("block on PostgreSQL outside demo mode:\n%s", pg)
	}
}
