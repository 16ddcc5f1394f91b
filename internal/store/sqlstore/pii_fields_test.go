package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/pii"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestPersonalFields: on both dialects (PostgreSQL's create is one
// statement of its own) a personal field is sealed in the case row and in
// the timeline's data, on create and on update, and read back plain.
func TestPersonalFields(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db, _ := openGC(t)
		personalFields(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := OpenPostgres(context.Background(), storetest.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.LoadReference(context.Background(), storetest.Fixture()); err != nil {
			t.Fatal(err)
		}
		personalFields(t, db)
	})
}

func personalFields(t *testing.T, db *DB) {
	ctx := context.Background()
	key, err := pii.NewKey("k1", pii.AES, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := pii.NewRing(key)
	if err != nil {
		t.Fatal(err)
	}
	db.SetPII(ring)
	db.SetPersonalFields(func(typ string, _ int) []string {
		if typ == "city_case" {
			return []string{"patient", "absent"}
		}
		return nil
	})
	t0 := time.UnixMilli(1_750_000_000_000)
	c, ev := storetest.NewCase(1, t0)
	c.Fields = map[string]any{"patient": "张病人", "ward": "3"}
	ev.Data = map[string]any{"fields": map[string]any{"patient": "张病人", "ward": "3"}}
	if err := db.CreateCaseTimed(ctx, &c, &ev, "", []store.TimerSpec{{Clock: "handle", Kind: "due", FireAt: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if c.Fields["patient"] != "张病人" || ev.Data["fields"].(map[string]any)["patient"] != "张病人" {
		t.Fatalf("the caller's values were changed: %v %v", c.Fields, ev.Data)
	}
	next := c
	next.Version, next.Status, next.UpdatedAt = 2, model.StateRegistered, t0.Add(time.Minute)
	next.Fields = map[string]any{"patient": "李病人", "ward": "4"}
	up := model.Event{At: next.UpdatedAt, ActorName: "坐席", Role: model.RoleOperator, Action: "accept", FromState: c.Status, ToState: next.Status,
		Data: map[string]any{"fields": map[string]any{"patient": "李病人"}}}
	if err := db.UpdateCase(ctx, &next, 1, &up); err != nil {
		t.Fatal(err)
	}
	var fields string
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT fields FROM cases WHERE id = ?`), c.ID).Scan(&fields); err != nil {
		t.Fatal(err)
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT data FROM case_events WHERE case_id = ? ORDER BY seq`), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var data []string
	for rows.Next() {
		var d string
		rows.Scan(&d)
		data = append(data, d)
	}
	rows.Close()
	all := fields + strings.Join(data, "")
	if strings.Contains(all, "病人") || len(data) != 2 || !strings.Contains(fields, `"ward":"4"`) || strings.Count(all, `"patient":"pii1:k1:`) != 3 {
		t.Fatalf("stored: fields %s, entries %v", fields, data)
	}
	got, err := db.Case(ctx, c.ID)
	if err != nil || got.Fields["patient"] != "李病人" || got.Fields["ward"] != "4" {
		t.Fatalf("Case = %v, %v", got.Fields, err)
	}
	tl, err := db.Timeline(ctx, c.ID)
	if err != nil || len(tl) != 2 || tl[0].Data["fields"].(map[string]any)["patient"] != "张病人" || tl[1].Data["fields"].(map[string]any)["patient"] != "李病人" {
		t.Fatalf("Timeline = %+v, %v", tl, err)
	}
}

// TestWithholdPII: a store opened without its key ring for a maintenance
// command refuses to write a reporter or a personal field (a store simply
// without a ring would keep them in plain text), and still writes a case
// that holds none.
func TestWithholdPII(t *testing.T) {
	ctx := context.Background()
	db, _ := openGC(t)
	db.WithholdPII()
	db.SetPersonalFields(func(string, int) []string { return []string{"patient"} })
	t0 := time.UnixMilli(1_750_000_000_000)
	c, ev := storetest.NewCase(1, t0)
	if err := db.CreateCase(ctx, &c, &ev, ""); !errors.Is(err, ErrPIIWithheld) {
		t.Fatalf("a reporter written without the ring: %v", err)
	}
	c, ev = storetest.NewCase(2, t0)
	c.Reporter = model.Reporter{}
	c.Fields = map[string]any{"patient": "张病人"}
	if err := db.CreateCase(ctx, &c, &ev, ""); !errors.Is(err, ErrPIIWithheld) {
		t.Fatalf("a personal field written without the ring: %v", err)
	}
	c, ev = storetest.NewCase(3, t0)
	c.Reporter = model.Reporter{}
	if err := db.CreateCase(ctx, &c, &ev, ""); err != nil {
		t.Fatalf("a case without personal data: %v", err)
	}
	var n int
	db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE reporter_name LIKE '%张%' OR fields LIKE '%张病人%'`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d rows hold personal data in plain text", n)
	}
}
