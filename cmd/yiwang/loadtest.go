package main

import (
	"context"
	"flag"
	"io"
	"os"
	"time"

	"github.com/yiwang-gov/yiwang/internal/loadtest"
)

// cmdLoadtest sends a bounded load to a yiwang on loopback and prints
// throughput, latency percentiles and errors. With --baseline it first runs
// a raw single-row INSERT loop on a scratch SQLite database with yiwang's
// settings, and prints both side by side.
func cmdLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "http://127.0.0.1:8080", "base URL of a yiwang you run (loopback only unless --allow-remote)")
	rate := fs.Int("rate", 200, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to send (at most 10m)")
	mix := fs.String("mix", "cases=1", "request kinds and weights: cases, read, events (e.g. cases=3,read=1)")
	rates := fs.String("rates", "", "instead of --rate/--mix: a stream per kind at its own rate, e.g. events=2000,cases=50")
	workers := fs.Int("workers", 64, "concurrent connections (per stream with --rates)")
	max := fs.Int("max", 0, "stop after this many requests (default rate × duration)")
	remote := fs.Bool("allow-remote", false, "allow a non-loopback target (a server you run)")
	key := fs.String("event-key", env("YIWANG_EVENT_KEY", ""), "source key for machine events (YIWANG_EVENT_KEY; yiwang eventsource add prints one)")
	batch := fs.Int("event-batch", 1, "events per events request (1: single object; more: {\"events\":[…]})")
	devices := fs.Int("devices", 12000, "cameras and sensors; each repeats its own event from its own place")
	low := fs.Float64("low-confidence", 0.02, "share of events below the review threshold")
	noIDs := fs.Bool("no-event-ids", false, "send events without an event_id (default: each event has its own, as platforms send)")
	baseline := fs.Duration("baseline", 0, "first run the raw single-row SQLite INSERT loop for this long and compare (e.g. 10s)")
	baseSync := fs.String("baseline-sync", "FULL", "synchronous setting of the baseline (the server's --sqlite-sync)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := loadtest.Config{Target: *target, Rate: *rate, Duration: *duration, Workers: *workers, MaxRequests: *max,
		AllowRemote: *remote, EventKey: *key, EventBatch: *batch, Devices: *devices, LowConfidence: *low, NoEventIDs: *noIDs}
	var err error
	if *rates != "" {
		if cfg.Rates, err = loadtest.ParseMix(*rates); err != nil {
			return err
		}
	} else if cfg.Mix, err = loadtest.ParseMix(*mix); err != nil {
		return err
	}
	var base *loadtest.Baseline
	if *baseline > 0 {
		dir, err := os.MkdirTemp("", "yiwang-baseline-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if base, err = loadtest.RunBaseline(ctx, dir, *baseSync, *baseline); err != nil {
			return err
		}
	}
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	res.Report(stdout)
	if base != nil {
		loadtest.Compare(stdout, base, res)
	}
	return nil
}
