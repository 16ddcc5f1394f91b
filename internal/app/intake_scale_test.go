package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/loadtest"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// TestScaleStartup times the start of a large store and reports the
// process's resident memory after start, after a bounded load (creates,
// reads, machine events) and at its peak. It runs only on a data dir given
// in YIWANG_SCALE_DIR (fill one with yiwang demo --data DIR --cases
// 1000000) — and adds the load's cases and events to it;
// YIWANG_SCALE_FULLCHECK=1 also times the full integrity check.
func TestScaleStartup(t *testing.T) {
	dir := os.Getenv("YIWANG_SCALE_DIR")
	if dir == "" {
		t.Skip("set YIWANG_SCALE_DIR to a filled data dir")
	}
	ctx := context.Background()
	if os.Getenv("YIWANG_SCALE_FULLCHECK") != "" {
		st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, app.DBFile), sqlstore.SQLiteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		err = st.CheckIntegrity(ctx)
		t.Logf("full integrity check (quick_check): %s, %v", time.Since(t0).Round(time.Millisecond), err)
		st.Close()
	}
	t0 := time.Now()
	a, err := app.Open(ctx, app.Config{DataDir: dir, TimerTick: -1, PublicPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	started := time.Since(t0)
	n, _ := a.Store.CountCases(ctx, model.CaseFilter{})
	t.Logf("app.Open %s with %d cases; %s", started.Round(time.Millisecond), n, rss())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler}
	go srv.Serve(ln)
	defer srv.Close()
	key, _, err := a.Service.CreateEventSource(ctx, service.NewEventSource{Code: fmt.Sprintf("scale-%d", time.Now().UnixNano()), Name: "规模测试"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := loadtest.Run(ctx, loadtest.Config{Target: "http://" + ln.Addr().String(), Rates: map[string]int{"cases": 500, "read": 500, "events": 100},
		EventBatch: 20, EventKey: key, Duration: 10 * time.Second, Workers: 32})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	res.Report(&sb)
	t.Log("\n" + sb.String())
	runtime.GC()
	t.Logf("after the load: %s", rss())
}

func rss() string {
	b, _ := os.ReadFile("/proc/self/status")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, ", ")
}
