// Command yiwang is the whole product in one binary:
//
//	yiwang serve [--demo] [--addr 127.0.0.1:8080] [--data DIR] [--metrics-addr 127.0.0.1:9464]
//	yiwang demo --data DIR          load the demo district into a data dir
//	yiwang migrate --data DIR       bring the database schema up to date
//	yiwang user add --data DIR --username U --role R --org ID [--password P]
//	yiwang version
//
// Every flag falls back to an environment variable (YIWANG_ADDR, YIWANG_DATA ...).
// Every command that opens the store takes --db postgres://… (YIWANG_DB)
// for a PostgreSQL deployment (storeFlags).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/demo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// version is set by the build (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `yiwang 一网统管 — case handling for county governments

usage:
  yiwang serve [--demo] [--addr ADDR] [--data DIR] [--db postgres://…] [--metrics-addr ADDR]
                                                     start the server (--demo loads the demo district into an empty store)
  yiwang demo --data DIR [--cases N]                 load the demo district into an empty data dir (or database)
  yiwang migrate --data DIR                          bring the database schema up to date
  yiwang migrate-store --from sqlite:DIR --to postgres://…   copy a county's data, compare counts and checksums
  yiwang user add --data DIR --username U --role R --org ID [--password P] [--name NAME]
  yiwang user totp --data DIR --username U            enrol a TOTP second factor (required for admin, discipline)
  yiwang apikey create|list|revoke --data DIR ...     Open311 API keys (create --name NAME [--jurisdiction ID] [--rate N] [--scope public|staff])
  yiwang backup --data DIR --to FILE.tar.gz (--passphrase-file F | --without-keys) [--pii-keys FILE]
                                                     online, consistent backup (database, attachments, and the
                                                     key ring sealed under the passphrase, or YIWANG_BACKUP_PASSPHRASE)
  yiwang restore --from FILE.tar.gz --data DIR [--passphrase-file F | --pii-keys FILE]
                                                     restore into an empty data dir, check integrity, open the sealed data
  yiwang keys rotate --data DIR --id K2               add a personal-data key and re-seal every reporter with it
  yiwang eventsource add|list|revoke --data DIR      register video/sensor sources and print their key
  yiwang audit verify|export --data DIR              check the audit hash chain / export it as CSV
  yiwang calendar load|years --data DIR [FILE]       load a year's holiday arrangement / list the loaded years
  yiwang grids|components|addresses import --data DIR FILE   reference data from GeoJSON; grids export (yiwang grids help)
  yiwang loadtest --target URL --rate R --duration D --mix cases=3,read=1   bounded load on loopback
  yiwang version

A PostgreSQL deployment: every command that opens the store takes --db postgres://… (or YIWANG_DB)
instead of the SQLite file in --data, and then never makes or opens a SQLite file; backup and restore
refuse it (use pg_dump / pg_restore).
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "backup":
		err = cmdBackup(ctx, args[1:], stdout, stderr)
	case "restore":
		err = cmdRestore(ctx, args[1:], stdout, stderr)
	case "loadtest":
		err = cmdLoadtest(ctx, args[1:], stdout, stderr)
	case "keys":
		err = cmdKeys(ctx, args[1:], stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, args[1:], stdout, stderr)
	case "migrate-store":
		err = cmdMigrateStore(ctx, args[1:], stdout, stderr)
	case "apikey":
		err = cmdAPIKey(ctx, args[1:], stdout, stderr)
	case "eventsource":
		err = cmdEventSource(ctx, args[1:], stdout, stderr)
	case "grids", "components", "addresses":
		err = cmdGeo(ctx, args, stdout, stderr)
	case "calendar":
		err = cmdCalendar(ctx, args[1:], stdout, stderr)
	case "user":
		err = cmdUser(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "yiwang", buildVersion())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "yiwang: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "yiwang:", err)
		return 1
	}
	return 0
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// env returns the environment variable's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// filesDirOf is where attachments live: --files, else DATA/files.
func filesDirOf(files, data string) string {
	if files != "" {
		return files
	}
	return filepath.Join(data, "files")
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// parseMimeList reads --attachment-types: comma-separated type/subtype
// names, as http.DetectContentType names them (lower case, no parameters).
func parseMimeList(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if typ, sub, ok := strings.Cut(t, "/"); !ok || typ == "" || sub == "" || strings.ContainsAny(t, "; ") {
			return nil, fmt.Errorf("--attachment-types: %q is not a MIME type such as application/zip", t)
		}
		out = append(out, t)
	}
	return out, nil
}

// startWait bounds how long serve waits for the start-up work before it
// prints its closing block anyway (the server answers meanwhile).
const startWait = 15 * time.Second

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("YIWANG_ADDR", "127.0.0.1:8080"), "listen address (YIWANG_ADDR)")
	data := fs.String("data", env("YIWANG_DATA", "./yiwang-data"), "data directory (YIWANG_DATA)")
	dbURL := fs.String("db", env("YIWANG_DB", ""), "PostgreSQL URL postgres://… for several nodes; empty: embedded SQLite in --data (YIWANG_DB)")
	groupCommit := fs.String("group-commit", env("YIWANG_GROUP_COMMIT", ""), "on/off: concurrent writes share one transaction (default on for SQLite, off for PostgreSQL) (YIWANG_GROUP_COMMIT)")
	files := fs.String("files", env("YIWANG_FILES", ""), "attachment directory, shared by every node on one database (default DATA/files) (YIWANG_FILES)")
	demoMode := fs.Bool("demo", envBool("YIWANG_DEMO"), "demo mode: load the demo district into an empty data dir (YIWANG_DEMO)")
	demoPw := fs.String("demo-password", env("YIWANG_DEMO_PASSWORD", demo.DefaultPassword), "password of the demo accounts, demo mode only (YIWANG_DEMO_PASSWORD)")
	sync := fs.String("sqlite-sync", env("YIWANG_SQLITE_SYNC", "FULL"), "SQLite synchronous: FULL survives power loss, NORMAL only a crash (YIWANG_SQLITE_SYNC)")
	natsURL := fs.String("nats", env("YIWANG_NATS", ""), "publish case events to NATS JetStream at this URL, e.g. nats://127.0.0.1:4222 (YIWANG_NATS)")
	webhook := fs.String("webhook", env("YIWANG_WEBHOOK", ""), "POST case events to this URL, signed with YIWANG_WEBHOOK_SECRET (YIWANG_WEBHOOK)")
	publicRate := fs.Int("public-rate", envInt("YIWANG_PUBLIC_RATE", 0), "anonymous writes allowed per client address per minute (logins: five times as many); 0 default (120), -1 off for load tests (YIWANG_PUBLIC_RATE)")
	piiKeys := fs.String("pii-keys", env("YIWANG_PII_KEYS", ""), "key file sealing personal data at rest (YIWANG_PII_KEYS); default DATA/pii.keys, made on first start")
	crypto := fs.String("crypto", env("YIWANG_CRYPTO", ""), "\"gm\" for 国密: SM4-GCM personal-data keys and an SM3 audit chain (YIWANG_CRYPTO)")
	level := fs.String("log-level", env("YIWANG_LOG_LEVEL", "info"), "debug, info, warn or error (YIWANG_LOG_LEVEL)")
	timerTick := fs.Duration("timer-tick", envDuration("YIWANG_TIMER_TICK", 30*time.Second), "how often deadline timers are checked; 0: the default (YIWANG_TIMER_TICK)")
	precision := fs.Float64("public-precision-m", envFloat("YIWANG_PUBLIC_PRECISION_M", service.DefaultPublicPrecisionM), "grid cell in metres that points shown to anonymous Open311 readers snap to, 1 to 10000 (YIWANG_PUBLIC_PRECISION_M)")
	attTypes := fs.String("attachment-types", env("YIWANG_ATTACHMENT_TYPES", ""), "extra attachment types accepted besides images and PDF, as sniffed MIME types, comma-separated, e.g. application/zip; stored as sent, unsanitized (YIWANG_ATTACHMENT_TYPES)")
	metricsAddr := fs.String("metrics-addr", env("YIWANG_METRICS_ADDR", ""), "serve Prometheus metrics at http://ADDR/metrics, on a listener of its own, e.g. 127.0.0.1:9464; empty: off (YIWANG_METRICS_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *level)
	if *demoPw == "" {
		*demoPw = demo.DefaultPassword // YIWANG_DEMO_PASSWORD= (empty) is no password of its own
	}
	extraTypes, err := parseMimeList(*attTypes)
	if err != nil {
		return err
	}
	pwSet := false
	fs.Visit(func(f *flag.Flag) { pwSet = pwSet || f.Name == "demo-password" })
	if (pwSet || os.Getenv("YIWANG_DEMO_PASSWORD") != "") && !*demoMode {
		return errors.New("--demo-password is accepted only with --demo")
	}
	if *demoMode {
		log.Warn("演示模式 demo mode: demo accounts use a public password; never use this data dir for real cases", "password_source", map[bool]string{true: "--demo-password", false: "default"}[pwSet])
	}
	a, err := app.Open(ctx, app.Config{DataDir: *data, DatabaseURL: *dbURL, FilesDir: *files, GroupCommit: *groupCommit, Demo: *demoMode, DemoPassword: *demoPw, SQLiteSync: *sync, Log: log,
		PublicPerMinute: *publicRate, PIIKeys: *piiKeys, Crypto: *crypto, PublicPrecisionM: *precision, TimerTick: max(*timerTick, 0), // 0: the default
		Attachments: service.AttachmentOptions{ExtraTypes: extraTypes},
		NATSURL:     *natsURL, WebhookURL: *webhook, WebhookSecret: os.Getenv("YIWANG_WEBHOOK_SECRET")})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	log.Info("yiwang listening", "addr", "http://"+ln.Addr().String(), "data", *data, "demo", *demoMode, "version", buildVersion())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if *metricsAddr != "" {
		// A listener of its own: the figures are for the operators'
		// monitoring, not for the public address.
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.Metrics.Handler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		defer msrv.Close()
		log.Info("metrics listening", "addr", "http://"+mln.Addr().String()+"/metrics")
		go func() { errc <- msrv.Serve(mln) }()
	}
	// The closing block comes last: after the listeners and the start-up
	// work (the first round of deadline timers), so at the default log
	// level nothing routine follows it and the address stays on screen.
	wait := time.NewTimer(startWait)
	defer wait.Stop()
	select {
	case <-a.Started():
	case <-wait.C:
		log.Warn("start-up work still running; the server answers meanwhile", "waited", startWait)
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if ctx.Err() == nil {
		fmt.Fprint(stdout, closingBlock(ctx, a.Store, bannerInfo{addr: ln.Addr(), dataDir: *data, dbURL: *dbURL, filesDir: filesDirOf(*files, *data),
			demo: *demoMode, password: *demoPw, passwordSet: pwSet || os.Getenv("YIWANG_DEMO_PASSWORD") != ""}))
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, true)
	cases := fs.Int("cases", 2400, "historical cases to generate (above 20000 written in batches with their statistics: 1000000 takes about a minute or two)")
	pw := fs.String("demo-password", env("YIWANG_DEMO_PASSWORD", demo.DefaultPassword), "password of the demo accounts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sf.postgres() {
		// The load itself checks again under a lock (several nodes may
		// start with --demo); this check is for a clear refusal.
		st, err := sqlstore.OpenPostgres(ctx, *sf.db)
		if err != nil {
			return err
		}
		empty, err := st.Empty(ctx)
		st.Close()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%s already holds a county; the demo loads only into an empty database", sf.where())
		}
	} else if _, err := os.Stat(filepath.Join(*sf.data, app.DBFile)); err == nil {
		return fmt.Errorf("%s already holds a database; the demo loads only into an empty data dir", *sf.data)
	}
	start := time.Now()
	cfg := sf.config(stderr)
	// The load is one-off: synchronous=NORMAL (a crash loses at most the
	// load, which starts again on an empty dir); the server reopens it FULL.
	cfg.Demo, cfg.DemoPassword, cfg.DemoCases, cfg.SQLiteSync, cfg.Log = true, *pw, *cases, "NORMAL", newLogger(stderr, "info")
	if *cases > progressMin {
		cfg.DemoProgress = demoProgress(stdout)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	n, _ := a.Store.CountCases(ctx, model.CaseFilter{})
	fmt.Fprintf(stdout, "demo district loaded into %s: %d cases, %d grids, in %s\n", sf.where(), n, len(a.Service.Ref().Grids), time.Since(start).Round(time.Millisecond))
	return nil
}

// progressMin: a demo of more cases than this prints its progress.
const progressMin = 5000

// demoProgress prints "demo: N/M cases (P%)" each time the load passes
// another 5 per cent.
func demoProgress(w io.Writer) func(done, total int) {
	last := 0
	return func(done, total int) {
		p := done * 100 / max(total, 1)
		if p/5 <= last/5 {
			return
		}
		last = p
		fmt.Fprintf(w, "demo: %d/%d cases (%d%%)\n", done, total, p)
	}
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Opening applies the migrations: on PostgreSQL under an advisory
	// lock, so nodes starting together apply them once.
	st, err := sf.openSQL(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintln(stdout, "schema is up to date in", sf.where())
	return st.IntegrityCheck(ctx)
}

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "totp" {
		return cmdUserTOTP(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: yiwang user add (--data DIR | --db postgres://…) --username U --role R --org ID [--password P]\n       yiwang user totp (--data DIR | --db postgres://…) --username U")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	username := fs.String("username", "", "login name")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "role: operator, grid_worker, supervisor, dispatcher, unit, discipline, leader, admin")
	org := fs.Int64("org", 0, "org unit id the user belongs to (GET /api/v1/units)")
	pw := fs.String("password", env("YIWANG_PASSWORD", ""), "password (YIWANG_PASSWORD); read from stdin when empty")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := sf.needExisting(); err != nil {
		return err // before the password is asked for
	}
	if *pw == "" {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 1024))
		if err != nil {
			return err
		}
		*pw = string(trimNewline(b))
	}
	a, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Service.AddUser(ctx, service.NewUser{Username: *username, DisplayName: *name, Role: model.Role(*role), OrgID: *org, Password: *pw})
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		for f, fe := range ve.Fields {
			fmt.Fprintf(stderr, "  %s: %s\n", f, fe.Key)
		}
		return errors.New("user not created")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s) created with id %d\n", u.Username, u.Role, u.ID)
	return nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// cmdUserTOTP gives a user a new TOTP secret and prints the otpauth URL to
// scan; the secret itself is the last word of the last line.
func cmdUserTOTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user totp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, false)
	username := fs.String("username", "", "the account")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := sf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	secret, url, err := a.Service.EnrollTOTP(ctx, *username)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scan with an authenticator app: %s\nsecret for %s: %s\n", url, *username, secret)
	return nil
}
