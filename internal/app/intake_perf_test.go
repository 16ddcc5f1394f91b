package app_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/loadtest"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// TestPerfInProcess is the profiling twin of the benchmark script
// (internal/loadtest/bench.sh): the whole app on a loopback listener and
// the load generator in one process, with a CPU profile. It runs only when
// asked, and stays bounded (≤ 30 s of load):
//
//	YIWANG_PERF=cases YIWANG_PERF_RATE=6000 YIWANG_PERF_CPU=/tmp/cpu.out go test -run TestPerfInProcess -v ./internal/app/
//	YIWANG_PERF=events YIWANG_PERF_RATE=2000 YIWANG_PERF_BATCH=10 ...
//	YIWANG_PERF=flood  (events at YIWANG_PERF_RATE plus people's creates at 50/s)
//
// YIWANG_GROUP_COMMIT=off measures without the batching writer.
func TestPerfInProcess(t *testing.T) {
	mode := os.Getenv("YIWANG_PERF")
	if mode == "" {
		t.Skip("set YIWANG_PERF=cases|events|flood to run")
	}
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
			return n
		}
		return def
	}
	rate, batch := envInt("YIWANG_PERF_RATE", 3000), envInt("YIWANG_PERF_BATCH", 1)
	dur := time.Duration(min(envInt("YIWANG_PERF_SECONDS", 10), 60)) * time.Second
	dir := t.TempDir()
	// YIWANG_PERF_DB=postgres://…&search_path=… profiles the PostgreSQL store
	// (an empty schema: the demo is loaded into it).
	a, err := app.Open(context.Background(), app.Config{DataDir: dir, DatabaseURL: os.Getenv("YIWANG_PERF_DB"), Demo: true, DemoCases: 100, PublicPerMinute: -1, TimerTick: -1,
		Intake:   service.IntakeOptions{Chunk: envInt("YIWANG_PERF_CHUNK", 0), Workers: envInt("YIWANG_PERF_INTAKE_WORKERS", 0)},
		Batching: sqlstore.GroupCommitOptions{MaxMachine: envInt("YIWANG_PERF_MAX_MACHINE", 0)}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler}
	go srv.Serve(ln)
	defer srv.Close()
	key, _, err := a.Service.CreateEventSource(context.Background(), service.NewEventSource{Code: "loadtest", Name: "压测视频平台"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadtest.Config{Target: "http://" + ln.Addr().String(), Duration: dur, Workers: envInt("YIWANG_PERF_WORKERS", 64), EventKey: key, EventBatch: batch}
	if mode == "serve" {
		// Serve only, for an outside load generator (a separate process,
		// so that the profile is the server's alone).
		os.WriteFile(filepath.Join(os.TempDir(), "yiwang-perf-target"), []byte(cfg.Target+" "+key+"\n"), 0o600)
		t.Logf("serving %s for %s; key %s", cfg.Target, dur, key)
		if path := os.Getenv("YIWANG_PERF_CPU"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second)
			pprof.StartCPUProfile(f)
			time.Sleep(dur)
			pprof.StopCPUProfile()
			f.Close()
		} else {
			time.Sleep(dur + 3*time.Second)
		}
		if gc, ok := a.Store.(*sqlstore.GroupCommit); ok {
			t.Logf("group commit: %+v", gc.Stats())
		}
		t.Logf("intake: %+v", a.Intake.Stats())
		return
	}
	switch mode {
	case "cases":
		cfg.Rate, cfg.Mix = rate, map[string]int{"cases": 1}
	case "events":
		cfg.Rate, cfg.Mix = rate, map[string]int{"events": 1}
	case "flood":
		cfg.Rates = map[string]int{"events": rate, "cases": 50}
		cfg.EventBatch = max(batch, 1)
	default:
		t.Fatalf("YIWANG_PERF=%s: cases, events or flood", mode)
	}
	if path := os.Getenv("YIWANG_PERF_CPU"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	res, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res.Report(os.Stdout)
	if gc, ok := a.Store.(*sqlstore.GroupCommit); ok {
		t.Logf("group commit: %+v", gc.Stats())
	}
	t.Logf("intake: %+v", a.Intake.Stats())
}
