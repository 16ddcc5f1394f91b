package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/pii"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// sealedCase makes a case with a named reporter (sealed at rest) and
// returns its id.
func sealedCase(t *testing.T, h *harness) int64 {
	t.Helper()
	lat, lng, _ := demoPoint(t, h, 9)
	r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": pickCategory(t, h, true).Code, "description": "备份密钥测试", "lat": lat, "lng": lng,
		"reporter": map[string]any{"name": "欧阳秘密", "phone": "13987654321"}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	return num(r.body["id"])
}

// readReporter starts the app on dir (with cfg's key file) and reads the
// case as a staff member: the masked reporter proves the ring opened it.
func readReporter(t *testing.T, cfg app.Config, id int64) {
	t.Helper()
	cfg.PublicPerMinute = -1
	a, err := app.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open the restored data dir: %v", err)
	}
	h := &harness{t: t, dir: cfg.DataDir, app: a, srv: newServer(a)}
	defer h.stop()
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz after restore: %d %s", r.status, r.raw)
	}
	r := h.do("GET", "/api/v1/cases/"+itoa(id), h.login("operator1"), nil)
	if r.status != 200 {
		t.Fatalf("read case after restore: %d %s", r.status, r.raw)
	}
	if rep, _ := r.body["reporter"].(map[string]any); rep["phone"] != "139****4321" || rep["name"] != "欧***" {
		t.Fatalf("masked reporter after restore: %v", r.body["reporter"])
	}
}

func emptyOrAbsent(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("a failed restore left %v in %s", names, dir)
	}
}

// TestBackupCarriesSealedKeyRing: a backup seals the key ring under the
// operator's passphrase; restoring it into a new dir gives a server that
// reads a sealed reporter (200, masked). The wrong passphrase, or none,
// fails and leaves the dir empty; the backup itself holds the keys only
// sealed.
func TestBackupCarriesSealedKeyRing(t *testing.T) {
	dir := t.TempDir()
	sqliteOnly(t, dir) // a backup holds the SQLite file; PostgreSQL is backed up with pg_dump
	h := newHarness(t, dir)
	id := sealedCase(t, h)
	h.app.Service.FlushAudit(context.Background())
	pass := []byte("县应急办 backup passphrase 2026")
	backup := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := app.Backup(context.Background(), app.BackupOptions{DataDir: dir, To: filepath.Join(t.TempDir(), "none.tar.gz")}); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("a backup without passphrase or --without-keys: %v", err)
	}
	start := time.Now()
	res, err := app.Backup(context.Background(), app.BackupOptions{DataDir: dir, To: backup, Passphrase: pass})
	if err != nil || !res.KeysSealed {
		t.Fatalf("backup: %+v %v", res, err)
	}
	t.Logf("backup with sealed ring: %v", time.Since(start).Round(time.Millisecond))
	h.stop()
	keys, _ := os.ReadFile(filepath.Join(dir, app.PIIKeyFile))
	hexKey := strings.Fields(strings.Split(strings.TrimSpace(string(keys)), "\n")[1])[2]
	if raw, _ := os.ReadFile(backup); len(raw) == 0 || strings.Contains(string(raw), hexKey) {
		t.Fatal("backup missing, or the key in it in the clear")
	}

	wrong := filepath.Join(t.TempDir(), "wrong")
	_, err = app.Restore(context.Background(), app.RestoreOptions{From: backup, DataDir: wrong, Passphrase: []byte("not it")})
	if !errors.Is(err, pii.ErrPassphrase) {
		t.Fatalf("restore with the wrong passphrase: %v", err)
	}
	emptyOrAbsent(t, wrong)
	_, err = app.Restore(context.Background(), app.RestoreOptions{From: backup, DataDir: wrong})
	if err == nil || !strings.Contains(err.Error(), "passphrase") || !strings.Contains(err.Error(), "--pii-keys") {
		t.Fatalf("restore without a passphrase: %v", err)
	}
	emptyOrAbsent(t, wrong)

	restored := filepath.Join(t.TempDir(), "restored")
	start = time.Now()
	rres, err := app.Restore(context.Background(), app.RestoreOptions{From: backup, DataDir: restored, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restore (argon2id, unpack, integrity, %d sealed values opened): %v", rres.Checked, time.Since(start).Round(time.Millisecond))
	if rres.Checked < 2 || rres.KeyFile != filepath.Join(restored, app.PIIKeyFile) {
		t.Fatalf("restore result: %+v", rres)
	}
	if got, _ := os.ReadFile(rres.KeyFile); string(got) != string(keys) {
		t.Fatal("restored key file differs from the original")
	}
	readReporter(t, app.Config{DataDir: restored}, id)
}

// TestBackupWithoutKeysRestoresWithKeyFile: --without-keys makes a backup
// that restores only with the key file; without it the restore refuses,
// names the key id and leaves nothing; with it the server reads the data.
func TestBackupWithoutKeysRestoresWithKeyFile(t *testing.T) {
	dir := t.TempDir()
	sqliteOnly(t, dir) // a backup holds the SQLite file; PostgreSQL is backed up with pg_dump
	h := newHarness(t, dir)
	id := sealedCase(t, h)
	h.app.Service.FlushAudit(context.Background())
	backup := filepath.Join(t.TempDir(), "b.tar.gz")
	if res, err := app.Backup(context.Background(), app.BackupOptions{DataDir: dir, To: backup, WithoutKeys: true}); err != nil || res.KeysSealed {
		t.Fatalf("backup: %+v %v", res, err)
	}
	h.stop()
	target := filepath.Join(t.TempDir(), "r")
	_, err := app.Restore(context.Background(), app.RestoreOptions{From: backup, DataDir: target, Passphrase: []byte("unused")})
	if err == nil || !strings.Contains(err.Error(), "k1") || !strings.Contains(err.Error(), "--pii-keys") {
		t.Fatalf("restore of a keyless backup without the key file: %v", err)
	}
	emptyOrAbsent(t, target)
	// A key file with another key under the same id is refused too.
	other := filepath.Join(t.TempDir(), "other.keys")
	line, _ := pii.GenerateKeyLine("k1", pii.AES)
	os.WriteFile(other, []byte(line+"\n"), 0o600)
	if _, err := app.Restore(context.Background(), app.RestoreOptions{From: backup, DataDir: target, PIIKeys: other}); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("restore with another key under k1: %v", err)
	}
	emptyOrAbsent(t, target)

	keyFile := filepath.Join(t.TempDir(), "pii.keys")
	b, _ := os.ReadFile(filepath.Join(dir, app.PIIKeyFile))
	os.WriteFile(keyFile, b, 0o600)
	res, err := app.Restore(context.Background(), app.RestoreOptions{From: backup, DataDir: target, PIIKeys: keyFile})
	if err != nil || res.Checked < 2 {
		t.Fatalf("restore with --pii-keys: %+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(target, app.PIIKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("restore copied the key file into the data dir")
	}
	readReporter(t, app.Config{DataDir: target, PIIKeys: keyFile}, id)
}

// TestStartRefusesSealedDataWithoutItsKey: a data dir whose key file was
// deleted does not start (the error names k1 and the file) and gets no new
// key file; a ring with only another id, or another key under k1, is
// refused the same way. An empty store still gets its first key.
func TestStartRefusesSealedDataWithoutItsKey(t *testing.T) {
	dir := t.TempDir()
	sqliteOnly(t, dir) // TestStartRefusesSealedDataWithoutItsKeyPostgres is its PostgreSQL twin
	h := newHarness(t, dir)
	sealedCase(t, h)
	h.stop()
	keyFile := filepath.Join(dir, app.PIIKeyFile)
	orig, _ := os.ReadFile(keyFile)
	os.Remove(keyFile)
	_, err := app.Open(context.Background(), app.Config{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "sealed with key k1") || !strings.Contains(err.Error(), keyFile) {
		t.Fatalf("start without the key file: %v", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a new key file was made over sealed data")
	}
	k7, _ := pii.GenerateKeyLine("k7", pii.AES)
	os.WriteFile(keyFile, []byte(k7+"\n"), 0o600)
	if _, err := app.Open(context.Background(), app.Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "k1") {
		t.Fatalf("start with a ring lacking k1: %v", err)
	}
	k1, _ := pii.GenerateKeyLine("k1", pii.AES)
	os.WriteFile(keyFile, []byte(k1+"\n"), 0o600)
	if _, err := app.Open(context.Background(), app.Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("start with another key under k1: %v", err)
	}
	os.WriteFile(keyFile, orig, 0o600)
	h.start() // the right ring starts
	h.stop()

	fresh := t.TempDir()
	a, err := app.Open(context.Background(), app.Config{DataDir: fresh})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := os.Stat(filepath.Join(fresh, app.PIIKeyFile)); err != nil {
		t.Fatalf("an empty store got no key: %v", err)
	}
}

// TestHealthzWhenSealedDataUnreadable: a node whose ring lacks the key a
// newer case was sealed with (another node rotated, this one was not given
// the key) answers /healthz 503 personal_data_unreadable instead of 200,
// within the probe's cache (5 s on the injected clock), and 200 again once
// the value opens.
func TestHealthzWhenSealedDataUnreadable(t *testing.T) {
	dir := t.TempDir()
	copyTemplate(t, dir)
	var now atomicTime
	now.set(time.Now())
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 60, PublicPerMinute: -1, Now: now.get})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, app: a, srv: newServer(a)}
	defer h.stop()
	id := sealedCase(t, h)
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz: %d %s", r.status, r.raw)
	}
	db := openRaw(t, dir)
	defer db.Close()
	var name string
	db.QueryRow(`SELECT reporter_name FROM cases WHERE id = ?`, id).Scan(&name)
	other, _ := pii.GenerateKeyLine("k9", pii.AES)
	ring, _ := pii.ParseKeys(other)
	k9, _ := ring.Seal("欧阳秘密")
	if _, err := db.Exec(`UPDATE cases SET reporter_name = ? WHERE id = ?`, k9, id); err != nil {
		t.Fatal(err)
	}
	now.add(6 * time.Second)
	r := h.do("GET", "/healthz", "", nil)
	if r.status != 503 || r.body["status"] != "unavailable" || r.body["reason"] != "personal_data_unreadable" {
		t.Fatalf("healthz with a sealed value the ring cannot open: %d %s", r.status, r.raw)
	}
	if _, err := db.Exec(`UPDATE cases SET reporter_name = ? WHERE id = ?`, name, id); err != nil {
		t.Fatal(err)
	}
	if r := h.do("GET", "/healthz", "", nil); r.status != 503 {
		t.Fatalf("healthz within the cache: %d (the probe ran again)", r.status)
	}
	now.add(6 * time.Second)
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz once the value opens: %d %s", r.status, r.raw)
	}
}

// atomicTime is a clock a test moves by hand.
type atomicTime struct{ ns atomic.Int64 }

func (c *atomicTime) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *atomicTime) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *atomicTime) get() time.Time      { return time.Unix(0, c.ns.Load()) }

// TestStartRefusesSealedDataWithoutItsKeyPostgres: a second node on one
// PostgreSQL database, started without the first node's key file, refuses
// to start (and makes no key) instead of sealing with a key of its own and
// failing every case read; given the shared file it starts and reads.
func TestStartRefusesSealedDataWithoutItsKeyPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	first := t.TempDir()
	a, err := app.Open(context.Background(), app.Config{DataDir: first, DatabaseURL: url, Demo: true, DemoCases: 20, PublicPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: first, app: a, srv: newServer(a)}
	id := sealedCase(t, h)
	h.stop()
	second := t.TempDir()
	_, err = app.Open(context.Background(), app.Config{DataDir: second, DatabaseURL: url})
	if err == nil || !strings.Contains(err.Error(), "sealed with key k1") {
		t.Fatalf("second node without the key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(second, app.PIIKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the second node made a key over sealed data")
	}
	readReporter(t, app.Config{DataDir: second, DatabaseURL: url, PIIKeys: filepath.Join(first, app.PIIKeyFile)}, id)
	db, err := sqlstore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ring, _ := pii.LoadKeys(filepath.Join(first, app.PIIKeyFile), "")
	db.SetPII(ring)
	if chk, err := db.CheckSealed(context.Background(), 1000, true); err != nil || !chk.OK() || chk.Checked < 2 {
		t.Fatalf("check on PostgreSQL: %+v %v", chk, err)
	}
	if err := db.ProbeSealed(context.Background()); err != nil {
		t.Fatalf("probe on PostgreSQL: %v", err)
	}
}
