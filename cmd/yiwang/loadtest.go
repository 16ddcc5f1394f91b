package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/yiwang-gov/yiwang/internal/loadtest"
)

// cmdLoadtest sends a bounded load to a yiwang on loopback and prints
// throughput, latency percentiles and errors.
func cmdLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "http://127.0.0.1:8080", "base URL of a yiwang you run (loopback only unless --allow-remote)")
	rate := fs.Int("rate", 200, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to send (at most 10m)")
	mix := fs.String("mix", "cases=1", "request kinds and weights: cases, read, events (e.g. cases=3,read=1)")
	workers := fs.Int("workers", 64, "concurrent connections")
	max := fs.Int("max", 0, "stop after this many requests (default rate × duration)")
	remote := fs.Bool("allow-remote", false, "allow a non-loopback target (a server you run)")
	key := fs.String("event-key", env("YIWANG_EVENT_KEY", ""), "source key for machine events (YIWANG_EVENT_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := loadtest.ParseMix(*mix)
	if err != nil {
		return err
	}
	res, err := loadtest.Run(ctx, loadtest.Config{Target: *target, Rate: *rate, Duration: *duration, Mix: m, Workers: *workers,
		MaxRequests: *max, AllowRemote: *remote, EventKey: *key})
	if err != nil {
		return err
	}
	res.Report(stdout)
	return nil
}
