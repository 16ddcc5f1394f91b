// Package app wires yiwang together: it opens the store, loads the demo
// district when asked, builds the service and the HTTP handler. The binary
// and the test harness both start the whole system through Open.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/demo"
	"github.com/yiwang-gov/yiwang/internal/events"
	"github.com/yiwang-gov/yiwang/internal/httpapi"
	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/metrics"
	"github.com/yiwang-gov/yiwang/internal/open311"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/web"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// Config is how the app is started. The binary fills it from flags and
// environment variables; tests fill it directly.
type Config struct {
	DataDir string
	// Demo loads the demo district into an empty data dir and enables the
	// public demo password.
	Demo         bool
	DemoPassword string
	// DemoCases is how many historical cases the demo generates.
	DemoCases int
	// DemoProgress, when set, hears how many of the demo's cases are
	// written as the load goes (yiwang demo prints it).
	DemoProgress func(done, total int)
	// FilesDir holds attachment content; default DataDir/files. Several
	// nodes point it at one shared directory (NFS or similar).
	FilesDir string
	// DatabaseURL selects PostgreSQL (postgres://…); empty means the
	// embedded SQLite file in DataDir.
	DatabaseURL string
	// PublicPerMinute limits anonymous writes per client address: 0 means
	// the default (120 a minute), negative turns the limit off (load tests).
	PublicPerMinute int
	// PIIKeys is the key file sealing personal data at rest ("id suite
	// hexkey" lines, oldest first). Empty: DataDir/pii.keys, made on first
	// start. Crypto "gm" uses SM4-GCM for new keys and SM3 for the audit
	// chain (国密); "" uses AES-256-GCM and SHA-256.
	PIIKeys string
	Crypto  string
	// WithoutPII opens the store without the key ring, for maintenance
	// commands that touch no personal data (user add, apikey, grids …):
	// no ring is read or made, and writing a personal value fails.
	WithoutPII bool
	// SQLiteSync is FULL (default) or NORMAL.
	SQLiteSync string
	Log        *slog.Logger
	Now        func() time.Time
	// Events: NATSURL (nats://…) publishes case events to JetStream under
	// NATSPrefix (default "yiwang"); WebhookURL posts them, signed with
	// WebhookSecret.
	NATSURL, NATSPrefix, NATSStream string
	WebhookURL, WebhookSecret       string
	// TimerTick is how often deadline timers are checked (default 30s;
	// negative: never, for tools that only open the store).
	TimerTick time.Duration
	// WarnShare is the elapsed share of a deadline at which a case turns
	// yellow (default 0.8).
	WarnShare float64
	// OfficeHours are the office periods working hours count, e.g.
	// "08:30-12:00,14:00-17:30" (the default).
	OfficeHours string
	// GroupCommit makes concurrent writes share transactions: "on", "off",
	// or "" for YIWANG_GROUP_COMMIT, else the default (on for SQLite, off
	// for PostgreSQL).
	GroupCommit string
	// Batching tunes the batching writer; zero values take the defaults.
	Batching sqlstore.GroupCommitOptions
	// Intake tunes machine-event intake; zero values take the defaults.
	Intake service.IntakeOptions
	// PublicPrecisionM is the grid cell (metres) points of the public
	// Open311 output snap to; 0 means the default (50).
	PublicPrecisionM float64
	// Attachments bound image decoding and the PDF rewrite, and name the
	// extra file types an administrator accepts (stored as sent); zero
	// values take the defaults.
	Attachments service.AttachmentOptions
}

// App is a running yiwang.
type App struct {
	Config  Config
	Store   store.Store
	Service *service.Service
	Handler http.Handler
	// Intake takes machine events (video, IoT) in.
	Intake *service.Intake
	// APIRoutes are the JSON API's patterns (the scope matrix test walks them).
	APIRoutes []string
	// Metrics are the server's counters; `serve --metrics-addr` serves
	// them on a listener of their own.
	Metrics *metrics.Metrics
	sql     *sqlstore.DB
	// Publisher drains the event outbox; nil when no sink is configured.
	Publisher *events.Publisher

	// started closes when the start-up work running in the background
	// has had its first go (the first round of deadline timers).
	started chan struct{}

	bg      context.Context
	stop    context.CancelFunc
	workers sync.WaitGroup
	closers []func()
}

// DBFile is the SQLite database's file name inside the data dir.
const DBFile = "yiwang.db"

// Open starts yiwang on cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("a data directory is required (--data or YIWANG_DATA)")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// On PostgreSQL the data dir holds only the default key ring and
	// attachments: a command that needs neither leaves it alone.
	if cfg.DatabaseURL == "" || !cfg.WithoutPII {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, err
		}
	}
	if cfg.DatabaseURL == "" {
		cleanStale(cfg.DataDir, cfg.Log) // a killed backup's database snapshot
	}
	var st *sqlstore.DB
	var err error
	if cfg.DatabaseURL != "" {
		st, err = sqlstore.OpenPostgres(ctx, cfg.DatabaseURL)
	} else {
		st, err = sqlstore.OpenSQLite(ctx, filepath.Join(cfg.DataDir, DBFile), sqlstore.SQLiteOptions{Synchronous: cfg.SQLiteSync})
	}
	if err != nil {
		return nil, err
	}
	// The full integrity check reads the whole file (seconds per GiB): a
	// large store starts after a light check and is checked in the
	// background, where a failure fails the health probe.
	size, _ := st.Size(ctx)
	checkLater := size > backgroundCheckBytes
	check := st.IntegrityCheck
	if checkLater {
		check = st.PingLight
	}
	if err := check(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("integrity check at start-up: %w", err)
	}
	if cfg.WithoutPII {
		st.WithholdPII()
	} else if err := loadPII(ctx, cfg, st); err != nil {
		st.Close()
		return nil, err
	}
	m := metrics.New()
	var base store.Store = st
	var gc *sqlstore.GroupCommit
	if groupCommit(cfg) {
		opt := cfg.Batching
		observe := m.Histogram("groupcommit_batch_seconds", "Time the batching writer took per transaction, from its first statement to its commit.",
			[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5})
		size := m.Histogram("groupcommit_batch_ops", "Operations per transaction of the batching writer.",
			[]float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512})
		opt.Observe = func(ops int, took time.Duration) {
			observe(took.Seconds())
			size(float64(ops))
			if took >= slowTransaction {
				// Everyone waiting on the writer waited this long: usually
				// the disk (fsync) or the host, worth an operator's look.
				cfg.Log.Warn("slow write transaction", "ops", ops, "took", took.Round(time.Millisecond))
			}
		}
		gc = sqlstore.NewGroupCommit(st, opt)
		base = gc
		registerGroupCommit(m, gc)
	}
	a, err := build(ctx, cfg, base, m)
	if err != nil {
		base.Close()
		return nil, err
	}
	a.sql = st
	r, w := st.Pools()
	if r == w {
		m.DBPool("db", r)
	} else {
		m.DBPool("read", r)
		m.DBPool("write", w)
	}
	// Reference data changed elsewhere (a command-line import, another
	// node) reaches this node: at once through LISTEN on PostgreSQL, and by
	// polling the generation as a backstop.
	a.Go(a.Service.WatchReference)
	// Entries a crash left committed but unchained go onto the chain
	// before the first request, so the audit pages and `audit verify` see
	// every acknowledged write from the start.
	a.Service.ChainPendingAudit(ctx)
	a.Go(a.Service.RunAuditWriter)
	a.Go(func(ctx context.Context) {
		st.ListenReference(ctx, func() {
			if err := a.Service.ReloadIfChanged(ctx); err != nil && ctx.Err() == nil {
				cfg.Log.Warn("reference reload failed", "err", err)
			}
		})
	})
	if err := a.startEvents(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if a.Publisher == nil && st.Dialect() == "sqlite" {
		// One node and no sink: nothing would deliver the outbox or prune
		// it. Rows left from a time with a sink go after the usual week.
		st.SetOutbox(false)
		if n, err := st.PruneOutbox(ctx, nil, cfg.Now().Add(-events.OutboxRetention)); err != nil {
			cfg.Log.Warn("outbox prune failed", "err", err)
		} else if n > 0 {
			cfg.Log.Info("outbox pruned: no event sink is configured", "events", n)
		}
	}
	a.startTimers()
	a.Go(a.Intake.Run)
	if checkLater {
		a.Go(func(ctx context.Context) {
			start := time.Now()
			err := st.CheckIntegrity(ctx)
			if ctx.Err() != nil {
				return
			}
			if gc != nil {
				gc.SetIntegrity(err)
			}
			if err != nil {
				cfg.Log.Error("integrity check failed", "err", err)
				return
			}
			cfg.Log.Info("integrity check passed", "bytes", size, "took", time.Since(start).Round(time.Millisecond))
		})
	}
	return a, nil
}

// slowTransaction is how long a batching writer's transaction may take
// before it is logged.
const slowTransaction = 250 * time.Millisecond

// backgroundCheckBytes: a SQLite store larger than this is checked in the
// background, not before the server answers.
const backgroundCheckBytes = 256 << 20

// groupCommit decides whether writes go through the batching writer.
func groupCommit(cfg Config) bool {
	v := cfg.GroupCommit
	if v == "" {
		v = os.Getenv("YIWANG_GROUP_COMMIT")
	}
	switch v {
	case "on", "1", "true":
		return true
	case "off", "0", "false":
		return false
	}
	return cfg.DatabaseURL == ""
}

func build(ctx context.Context, cfg Config, st store.Store, m *metrics.Metrics) (*App, error) {
	wf, err := workflow.Default()
	if err != nil {
		return nil, err
	}
	if p, ok := st.(interface {
		SetPersonalFields(func(string, int) []string)
	}); ok {
		// The definitions say which fields hold personal data; the store
		// seals them. The registry is live: definitions added later count.
		p.SetPersonalFields(func(typ string, version int) []string {
			d, ok := wf.Get(typ, version)
			if !ok {
				d, ok = wf.Latest(typ)
			}
			if !ok {
				return nil
			}
			return d.PersonalFields()
		})
	}
	cal, err := workingCalendar(cfg.OfficeHours)
	if err != nil {
		return nil, err
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	if cfg.Demo {
		// Several nodes may start together on one database: the check and
		// the load run under one exclusive lock, so the demo loads once.
		err := st.Exclusive(ctx, "demo-load", func(ctx context.Context) error {
			empty, err := st.Empty(ctx)
			if err != nil || !empty {
				return err
			}
			start := time.Now()
			n, err := demo.Load(ctx, st, demo.Options{Password: cfg.DemoPassword, Cases: cfg.DemoCases, Now: cfg.Now(), Workflows: wf, Calendar: cal, Log: cfg.Log, Progress: cfg.DemoProgress})
			if err != nil {
				return fmt.Errorf("load demo district: %w", err)
			}
			cfg.Log.Info("demo district loaded", "cases", n, "took", time.Since(start).Round(time.Millisecond))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	svc, err := service.New(ctx, service.Deps{
		Store: st, Log: cfg.Log, Workflows: wf, Calendar: cal, FilesDir: filesDir(cfg), Now: cfg.Now,
		WarnShare: cfg.WarnShare, PublicPrecisionM: cfg.PublicPrecisionM, Demo: cfg.Demo, AuditAlg: map[bool]string{true: "sm3", false: "sha256"}[cfg.Crypto == "gm"],
		Attachments: cfg.Attachments,
	})
	if err != nil {
		return nil, err
	}
	iopt := cfg.Intake
	if iopt.Workers == 0 && st.Dialect() == "postgres" {
		// PostgreSQL takes several writers (advisory locks keep a first
		// sighting single); each spends most of its time on round trips.
		iopt.Workers = 4
	}
	intake := service.NewIntake(svc, iopt)
	registerIntake(m, intake)
	registerTimers(m, svc)
	registerHealth(m, svc)
	mux := http.NewServeMux()
	api := httpapi.New(httpapi.Deps{Service: svc, I18n: cat, Log: cfg.Log, PublicPerMinute: cfg.PublicPerMinute, Intake: intake, Observe: m.Observe})
	api.Register(mux)
	o311 := open311.New(open311.Deps{Service: svc, I18n: cat, Log: cfg.Log, Now: cfg.Now})
	o311.Register(mux)
	if cfg.Demo {
		if err := open311.SeedDemo(ctx, svc); err != nil {
			return nil, fmt.Errorf("open311 demo attributes: %w", err)
		}
	}
	web.New(web.Deps{Service: svc, Intake: intake, I18n: cat, Demo: cfg.Demo, Log: cfg.Log, Now: cfg.Now}).Register(mux)
	return &App{Config: cfg, Store: st, Service: svc, Handler: api.Middleware(mux), Intake: intake, APIRoutes: api.Routes(), Metrics: m, started: make(chan struct{})}, nil
}

// startEvents connects the configured event sinks and starts the
// publisher in the background.
func (a *App) startEvents(ctx context.Context) error {
	var sinks []events.Sink
	if a.Config.NATSURL != "" {
		ns, err := events.NewNATSSink(ctx, events.NATSOptions{URL: a.Config.NATSURL, Prefix: a.Config.NATSPrefix, Stream: a.Config.NATSStream})
		if err != nil {
			return err
		}
		a.closers = append(a.closers, ns.Close)
		sinks = append(sinks, ns)
	}
	if a.Config.WebhookURL != "" {
		sinks = append(sinks, events.NewWebhookSink(a.Config.WebhookURL, a.Config.WebhookSecret))
	}
	if len(sinks) == 0 {
		return nil
	}
	a.Publisher = events.NewPublisher(a.Store, a.Config.Log, 0, sinks...)
	a.Go(a.Publisher.Run)
	return nil
}

// workingCalendar is the embedded years with the configured office hours.
func workingCalendar(hours string) (*calendar.Calendar, error) {
	if hours == "" {
		return calendar.Default()
	}
	oh, err := calendar.ParseOfficeHours(hours)
	if err != nil {
		return nil, fmt.Errorf("office hours: %w", err)
	}
	years, err := calendar.EmbeddedYears()
	if err != nil {
		return nil, err
	}
	return calendar.New(years, oh)
}

// startTimers fires deadline timers (yellow, red, automatic 督办) in the
// background. Every node may run it: each timer is claimed by one.
// The first round fires the backlog a start finds (dozens on a demo
// start: its history has cases past their deadlines); it is summed up in
// one line, and Started closes after it.
func (a *App) startTimers() {
	tick := a.Config.TimerTick
	if tick < 0 {
		close(a.started)
		return
	}
	if tick == 0 {
		tick = 30 * time.Second
	}
	a.Go(func(ctx context.Context) {
		a.Service.RunTimers(ctx, tick, func(fired int, err error) {
			if fired > 0 {
				st := a.Service.TimerStats()
				a.Config.Log.Info("deadline timers fired at start-up", "fired", fired, "warn", st.Warn, "due", st.Due, "reply_due", st.ReplyDue)
			}
			close(a.started)
		})
	})
}

// Started closes once the start-up work Open leaves to the background has
// had its first go: after it, nothing routine is logged at Info, so the
// binary prints its closing "open this address" block then. Until it
// closes the server already answers.
func (a *App) Started() <-chan struct{} { return a.started }

// Go runs a background worker until the app closes.
func (a *App) Go(fn func(context.Context)) {
	if a.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		a.stop = cancel
		a.bg = ctx
	}
	a.workers.Go(func() { fn(a.bg) })
}

// Close stops the background workers and releases the store.
func (a *App) Close() error {
	if a.stop != nil {
		a.stop()
		a.workers.Wait()
	}
	for _, c := range a.closers {
		c()
	}
	return a.Store.Close()
}

// SQL returns the underlying SQL store (for maintenance commands).
func (a *App) SQL() (*sqlstore.DB, bool) { return a.sql, a.sql != nil }

func filesDir(cfg Config) string {
	if cfg.FilesDir != "" {
		return cfg.FilesDir
	}
	return filepath.Join(cfg.DataDir, "files")
}
