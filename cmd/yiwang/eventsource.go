package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/service"
)

const eventsourceUsage = `usage:
  yiwang eventsource add    --data DIR --code CODE --name NAME [--kind video|sensor] [--min-confidence 0.6]
                            [--window 10m] [--distance 50] [--note-every 10] [--map TYPE=CATEGORY,…]
  yiwang eventsource list   --data DIR
  yiwang eventsource revoke --data DIR CODE|ID
(--db postgres://… instead of --data for a PostgreSQL store)`

// cmdEventSource registers video and sensor sources that post machine
// events to POST /api/v1/events, and prints a new source's key once (only
// its hash is stored). It works while the server runs on the same data
// dir; the server picks up a new source at once and a revocation within
// a few seconds.
func cmdEventSource(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(eventsourceUsage)
	}
	fs := flag.NewFlagSet("eventsource "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	code := fs.String("code", "", "the source_id the platform posts, e.g. xueliang-video (add)")
	name := fs.String("name", "", "the platform's name, shown on the timeline (add)")
	kind := fs.String("kind", service.SourceVideo, "video or sensor (add)")
	minConf := fs.Float64("min-confidence", service.DefaultMinConfidence, "events below this confidence wait for a person's review (add)")
	window := fs.Duration("window", service.DefaultFoldWindow, "repeats within this time of the last sighting fold into the open case (add)")
	distance := fs.Float64("distance", service.DefaultFoldDistanceM, "and within this many metres (add)")
	noteEvery := fs.Int("note-every", service.DefaultNoteEvery, "a timeline note at most once per this many repeats (add)")
	typeMap := fs.String("map", "", "event type → category code, e.g. occupy_road=0301,overflow=0204; unmapped types must be category codes (add)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	open := func() (*app.App, error) { return sf.open(ctx, stderr) }
	switch args[0] {
	case "add":
		m := map[string]string{}
		for _, part := range strings.Split(*typeMap, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			t, c, ok := strings.Cut(part, "=")
			if !ok || t == "" || c == "" {
				return fmt.Errorf("--map: %q is not TYPE=CATEGORY", part)
			}
			m[strings.TrimSpace(t)] = strings.TrimSpace(c)
		}
		a, err := open()
		if err != nil {
			return err
		}
		defer a.Close()
		key, src, err := a.Service.CreateEventSource(ctx, service.NewEventSource{Code: *code, Name: *name, Kind: *kind,
			MinConfidence: *minConf, FoldWindow: *window, FoldDistanceM: *distance, NoteEvery: *noteEvery, TypeMap: m})
		var ve *service.ValidationError
		if errors.As(err, &ve) {
			names := make([]string, 0, len(ve.Fields))
			for f := range ve.Fields {
				names = append(names, f)
			}
			sort.Strings(names)
			for _, f := range names {
				fmt.Fprintf(stderr, "  %s: %s\n", f, ve.Fields[f].Key)
			}
			return errors.New("event source not created")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "event source %d (%s, %s) created: min confidence %.2f, fold window %s, distance %.0f m, a note every %d repeats.\n",
			src.ID, src.Code, src.Kind, src.MinConfidence, src.FoldWindow, src.FoldDistanceM, src.NoteEvery)
		fmt.Fprintln(stdout, "The key is shown only this once; the platform sends it as Authorization: Bearer <key>.")
		fmt.Fprintf(stdout, "key: %s\n", key)
		return nil
	case "list":
		a, err := open()
		if err != nil {
			return err
		}
		defer a.Close()
		srcs, err := a.Service.ListEventSources(ctx)
		if err != nil {
			return err
		}
		for _, s := range srcs {
			state := "active"
			if !s.RevokedAt.IsZero() {
				state = "revoked " + s.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s…\t%s\t%s\tmin=%.2f\twindow=%s\tdistance=%.0fm\tnote-every=%d\tmap=%d\t%s\n", s.ID, s.Code, s.KeyPrefix,
				s.Name, s.Kind, s.MinConfidence, s.FoldWindow, s.FoldDistanceM, s.NoteEvery, len(s.TypeMap), state)
		}
		return nil
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New(eventsourceUsage)
		}
		a, err := open()
		if err != nil {
			return err
		}
		defer a.Close()
		s, err := a.Service.RevokeEventSource(ctx, fs.Arg(0))
		if errors.Is(err, service.ErrNotFound) {
			return fmt.Errorf("no event source %q", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "event source %d (%s) revoked\n", s.ID, s.Code)
		return nil
	}
	return errors.New(eventsourceUsage)
}
