package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestCopySQLiteToPostgres moves a county's data and checks every table
// arrives with equal counts and checksums, that a second run after more
// changes converges, and that the copy keeps working as a store.
func TestCopySQLiteToPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	src, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "src.db"), sqlstore.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.LoadReference(ctx, storetest.Fixture())
	u := model.User{Username: "坐席甲", DisplayName: "坐席甲", Role: model.RoleOperator, OrgID: 1, PasswordHash: "h"}
	src.CreateUser(ctx, &u)
	t0 := time.UnixMilli(1_750_000_000_000)
	var last model.Case
	for i := 1; i <= 30; i++ {
		c, ev := storetest.NewCase(i, t0.Add(time.Duration(i)*time.Minute))
		if i%4 == 0 {
			c.Anonymous, c.Reporter.Phone = true, ""
		}
		if err := src.CreateCase(ctx, &c, &ev, ""); err != nil {
			t.Fatal(err)
		}
		last = c
	}
	dst, err := sqlstore.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	check := func(round string) {
		t.Helper()
		reports, err := sqlstore.CopyFromSQLite(ctx, src, dst)
		if err != nil {
			t.Fatalf("%s: %v", round, err)
		}
		seen := map[string]bool{}
		for _, r := range reports {
			seen[r.Table] = true
			if !r.Equal() {
				t.Errorf("%s: table %s: %d rows (%s) → %d rows (%s)", round, r.Table, r.SourceRows, r.SourceSum[:8], r.TargetRows, r.TargetSum[:8])
			}
		}
		for _, want := range []string{"org_units", "grids", "categories", "users", "cases", "case_events", "outbox"} {
			if !seen[want] {
				t.Errorf("%s: table %s not copied", round, want)
			}
		}
	}
	check("first run")
	// The county keeps working on SQLite; a second run carries the change.
	next := last
	next.Status, next.Version, next.UpdatedAt = model.StateRegistered, 2, t0.Add(time.Hour)
	e := model.Event{At: next.UpdatedAt, ActorName: "坐席甲", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered}
	if err := src.UpdateCase(ctx, &next, 1, &e); err != nil {
		t.Fatal(err)
	}
	check("second run")
	if got, err := dst.Case(ctx, last.ID); err != nil || got.Status != model.StateRegistered || got.Version != 2 {
		t.Fatalf("copied case = %+v, %v", got, err)
	}
	// Sequences moved past the copied ids: a new case gets a fresh id.
	c, ev := storetest.NewCase(1000, t0)
	if err := dst.CreateCase(ctx, &c, &ev, ""); err != nil || c.ID <= last.ID {
		t.Fatalf("new case after copy: id %d, %v", c.ID, err)
	}
}
