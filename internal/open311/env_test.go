package open311

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/demo"
	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// env is an Open311 server on a fresh SQLite store.
type env struct {
	t    *testing.T
	dir  string
	st   *sqlstore.DB
	svc  *service.Service
	h    *Handler
	srv  *httptest.Server
	key  string
	root model.OrgUnit
}

// newEnv opens a store in a temp dir. With district it loads the demo
// district's reference data (no cases) and its Open311 attributes;
// without, only a district root.
func newEnv(t testing.TB, district bool) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "yiwang.db"), sqlstore.SQLiteOptions{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ref := store.Reference{Org: []model.OrgUnit{{ID: 1, Kind: model.OrgDistrict, Code: "110101", Name: "测试区"}}}
	if district {
		d := demo.Build()
		ref = store.Reference{Org: d.Org, Grids: d.Grids, Categories: d.Categories}
	}
	if err := st.LoadReference(ctx, ref); err != nil {
		t.Fatal(err)
	}
	wf, err := workflow.Default()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Default()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, service.Deps{Store: st, Workflows: wf, Calendar: cal, FilesDir: filepath.Join(dir, "files")})
	if err != nil {
		t.Fatal(err)
	}
	if district {
		if err := SeedDemo(ctx, svc); err != nil {
			t.Fatal(err)
		}
	}
	key, _, err := svc.CreateAPIKey(ctx, service.NewAPIKey{Name: "test", RatePerMinute: 100000})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Deps{Service: svc, I18n: cat})
	e := &env{dir: dir, st: st, svc: svc, h: h, key: key, root: svc.Ref().Root}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
}

// counts returns the rows of every table a rejected request must leave
// alone, and the number of files kept.
func (e *env) counts(t testing.TB) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "yiwang.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"cases", "case_events", "attachments", "case_attachments", "open311_requests", "open311_updates"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	files := 0
	filepath.Walk(filepath.Join(e.dir, "files"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	out["files"] = files
	return out
}

// point returns a point inside a demo grid.
func (e *env) point(t testing.TB) (float64, float64) {
	t.Helper()
	for _, g := range e.svc.Ref().GridList {
		if c, ok := gridCentre(g.Geometry); ok {
			return c[1], c[0]
		}
	}
	t.Fatal("no grid")
	return 0, 0
}

// gridCentre averages the exterior ring of a GeoJSON Polygon.
func gridCentre(geom string) ([2]float64, bool) {
	var g struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(geom), &g); err != nil || g.Type != "Polygon" || len(g.Coordinates) == 0 {
		return [2]float64{}, false
	}
	ring := g.Coordinates[0][:len(g.Coordinates[0])-1]
	var c [2]float64
	for _, p := range ring {
		c[0] += p[0] / float64(len(ring))
		c[1] += p[1] / float64(len(ring))
	}
	return c, true
}
