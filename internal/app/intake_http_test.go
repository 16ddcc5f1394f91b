package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	imgpng "image/png"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// intakeHarness boots the app with its own intake settings and registers
// an event source.
func intakeHarness(t *testing.T, opt service.IntakeOptions) (*harness, string) {
	t.Helper()
	return intakeHarnessOn(t, opt, "")
}

// intakeHarnessOn is intakeHarness on PostgreSQL when dbURL is set (an
// empty schema: the demo is loaded into it).
func intakeHarnessOn(t *testing.T, opt service.IntakeOptions, dbURL string) (*harness, string) {
	t.Helper()
	dir := t.TempDir()
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, DatabaseURL: dbURL, Demo: true, DemoCases: 20, PublicPerMinute: -1, Intake: opt})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, app: a, srv: newServer(a), publicRate: -1}
	t.Cleanup(h.stop)
	key, _, err := a.Service.CreateEventSource(context.Background(), service.NewEventSource{Code: "xueliang", Name: "雪亮工程视频平台",
		TypeMap: map[string]string{"occupy_road": eventCategory(t, h)}})
	if err != nil {
		t.Fatal(err)
	}
	return h, key
}

// eventCategory is a leaf event category of city cases.
func eventCategory(t *testing.T, h *harness) string {
	t.Helper()
	for _, c := range h.app.Service.Ref().CatList {
		if c.Kind == "event" && c.CaseType == "city_case" && h.app.Service.Ref().IsLeaf(c.ID) {
			return c.Code
		}
	}
	t.Fatal("no event category")
	return ""
}

// gridPoint is a point well inside the i-th demo grid.
func gridPoint(t *testing.T, h *harness, i int) (float64, float64) {
	t.Helper()
	var g struct {
		Features []struct {
			Geometry struct {
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	r := h.do("GET", "/api/v1/grids", "", nil)
	if err := json.Unmarshal(r.raw, &g); err != nil || len(g.Features) == 0 {
		t.Fatalf("grids: %v", err)
	}
	var rings [][][2]float64
	json.Unmarshal(g.Features[i%len(g.Features)].Geometry.Coordinates, &rings)
	var lat, lng float64
	ring := rings[0][:len(rings[0])-1]
	for _, p := range ring {
		lng += p[0] / float64(len(ring))
		lat += p[1] / float64(len(ring))
	}
	return lat, lng
}

func (h *harness) sqlCount(q string, args ...any) int {
	h.t.Helper()
	db := openRaw(h.t, h.dir)
	defer db.Close()
	var n sql.NullInt64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return int(n.Int64)
}

func TestEventsIntakeHTTP(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{})
	lat, lng := gridPoint(t, h, 0)
	ev := func(dev string, conf float64, dlat float64) map[string]any {
		return map[string]any{"source_id": "xueliang", "device_id": dev, "event_type": "occupy_road", "confidence": conf,
			"lat": lat + dlat, "lng": lng, "at": time.Now().Format(time.RFC3339)}
	}
	casesBefore := h.sqlCount(`SELECT COUNT(*) FROM cases`)

	// No key, a wrong key.
	if r := h.do("POST", "/api/v1/events", "", ev("cam-1", 0.9, 0)); r.status != 401 {
		t.Fatalf("no key: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/events", "ywev_wrong", ev("cam-1", 0.9, 0)); r.status != 401 {
		t.Fatalf("wrong key: %d %s", r.status, r.raw)
	}

	// A first sighting makes a case (channel video, routed), a repeat folds.
	r := h.do("POST", "/api/v1/events", key, ev("cam-1", 0.92, 0))
	if r.status != 201 || r.body["outcome"] != "created" || r.body["receipt"] == nil {
		t.Fatalf("first sighting: %d %s", r.status, r.raw)
	}
	caseID := int64(r.body["case_id"].(float64))
	r = h.do("POST", "/api/v1/events", key, ev("cam-1", 0.95, 0.0001)) // 11 m off
	if r.status != 200 || r.body["outcome"] != "folded" || r.body["count"].(float64) != 2 || int64(r.body["case_id"].(float64)) != caseID {
		t.Fatalf("repeat: %d %s", r.status, r.raw)
	}
	op := h.login("operator1")
	c := h.do("GET", fmt.Sprintf("/api/v1/cases/%d", caseID), op, nil)
	if c.status != 200 || c.body["channel"] != "video" || c.body["unit"] == nil && c.body["unit_id"] == nil {
		t.Fatalf("case: %d %s", c.status, c.raw)
	}
	me := h.do("GET", fmt.Sprintf("/api/v1/cases/%d/machine-events", caseID), op, nil)
	recs, _ := me.body["events"].([]any)
	if me.status != 200 || len(recs) != 1 || recs[0].(map[string]any)["count"].(float64) != 2 {
		t.Fatalf("machine events of the case: %d %s", me.status, me.raw)
	}

	// A batch: each event its own result, in order; invalid ones fail alone.
	batch := map[string]any{"events": []any{
		ev("cam-2", 0.9, 0),       // created
		ev("cam-1", 0.9, 0.00005), // folded into the first case
		map[string]any{"device_id": "cam-3", "event_type": "occupy_road", "lat": 95, "lng": lng},                        // invalid latitude
		map[string]any{"device_id": "cam-4", "event_type": "occupy_road", "confidence": "high", "lat": lat, "lng": lng}, // wrong type
		map[string]any{"device_id": "cam-5", "event_type": "no_such_type", "lat": lat, "lng": lng},                      // unknown type
		ev("cam-6", 0.3, 0), // low confidence: review queue
		map[string]any{"source_id": "other", "device_id": "cam-7", "event_type": "occupy_road", "lat": lat, "lng": lng}, // not this key's source
		ev("cam-2", 0.9, 0), // repeat of the first in the same batch: folded
	}}
	r = h.do("POST", "/api/v1/events", key, batch)
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.raw)
	}
	results := r.body["results"].([]any)
	want := []string{"created", "folded", "error", "error", "error", "review", "error", "folded"}
	for i, w := range want {
		res := results[i].(map[string]any)
		got, _ := res["outcome"].(string)
		if res["error"] != nil {
			got = "error"
		}
		if got != w || int(res["index"].(float64)) != i {
			t.Fatalf("event %d: %v, want %s (%s)", i, res, w, r.raw)
		}
	}
	if f := results[2].(map[string]any)["error"].(map[string]any)["fields"].(map[string]any); f["lat"] == nil {
		t.Fatalf("bad latitude error %v", f)
	}
	if r.body["accepted"].(float64) != 4 || r.body["failed"].(float64) != 4 {
		t.Fatalf("tally %s", r.raw)
	}
	// Nothing half-written: two new cases, and every accepted event counted.
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`) - casesBefore; n != 2 {
		t.Fatalf("%d cases made, want 2", n)
	}
	if n := h.sqlCount(`SELECT SUM(count) FROM machine_events`); n != 2+4 {
		t.Fatalf("machine events count %d, want 6", n)
	}
	// A snapshot (base64) is stored and attached to the new case.
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := imgpng.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	withSnap := ev("cam-snap", 0.9, 0)
	withSnap["snapshot"] = base64.StdEncoding.EncodeToString(png.Bytes())
	r = h.do("POST", "/api/v1/events", key, withSnap)
	if r.status != 201 {
		t.Fatalf("event with a snapshot: %d %s", r.status, r.raw)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM case_attachments WHERE case_id = ?`, int64(r.body["case_id"].(float64))); n != 1 {
		t.Fatalf("snapshot not attached to the case: %d", n)
	}
	bad := ev("cam-snap2", 0.9, 0)
	bad["snapshot"] = "not base64!"
	if r := h.do("POST", "/api/v1/events", key, bad); r.status != 422 {
		t.Fatalf("bad snapshot: %d %s", r.status, r.raw)
	}

	// A single invalid event is a 422 with the fields.
	if r := h.do("POST", "/api/v1/events", key, map[string]any{"event_type": "occupy_road"}); r.status != 422 {
		t.Fatalf("invalid single: %d %s", r.status, r.raw)
	}

	// The review queue: people only.
	q := h.do("GET", "/api/v1/events/review", op, nil)
	queue, _ := q.body["events"].([]any)
	if q.status != 200 || len(queue) != 1 {
		t.Fatalf("review queue: %d %s", q.status, q.raw)
	}
	id := int64(queue[0].(map[string]any)["id"].(float64))
	if r := h.do("GET", "/api/v1/events/review", "", nil); r.status != 401 {
		t.Fatalf("anonymous queue: %d", r.status)
	}
	disp := h.login("dispatcher")
	if r := h.do("POST", fmt.Sprintf("/api/v1/events/review/%d/confirm", id), disp, nil); r.status != 403 {
		t.Fatalf("dispatcher confirms: %d %s", r.status, r.raw)
	}
	cr := h.do("POST", fmt.Sprintf("/api/v1/events/review/%d/confirm", id), op, map[string]any{"note": "看过录像，属实"})
	if cr.status != 201 {
		t.Fatalf("confirm: %d %s", cr.status, cr.raw)
	}
	cc := cr.body["case"].(map[string]any)
	if cc["channel"] != "video" || cr.body["event"].(map[string]any)["status"] != "open" {
		t.Fatalf("confirmed: %s", cr.raw)
	}
	if r := h.do("POST", fmt.Sprintf("/api/v1/events/review/%d/confirm", id), op, nil); r.status != 422 {
		t.Fatalf("confirm twice: %d %s", r.status, r.raw)
	}
	tl := h.do("GET", fmt.Sprintf("/api/v1/cases/%d", int64(cc["id"].(float64))), op, nil)
	if tl.status != 200 {
		t.Fatal(tl.status)
	}
	// Another low one, dismissed: its repeats are suppressed.
	r = h.do("POST", "/api/v1/events", key, ev("cam-8", 0.2, 0))
	if r.body["outcome"] != "review" {
		t.Fatalf("low: %s", r.raw)
	}
	sup := h.login("supervisor")
	d := h.do("POST", fmt.Sprintf("/api/v1/events/review/%d/dismiss", int64(r.body["machine_event_id"].(float64))), sup, map[string]any{"note": "误报：树影"})
	if d.status != 200 || d.body["event"].(map[string]any)["status"] != "dismissed" {
		t.Fatalf("dismiss: %d %s", d.status, d.raw)
	}
	if r := h.do("POST", "/api/v1/events", key, ev("cam-8", 0.3, 0)); r.body["outcome"] != "suppressed" {
		t.Fatalf("repeat of a dismissed event: %s", r.raw)
	}

	// Every request went on the audit chain under the source's name.
	// (The audit writer appends in the background: give it a moment.)
	wfWait(t, "audit entries for the source", func() bool {
		return h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /api/v1/events' AND username = 'eventsource:xueliang'`) >= 5
	})
	if n, err := h.app.Service.VerifyAudit(context.Background()); err != nil || n == 0 {
		t.Fatalf("audit chain: %d %v", n, err)
	}

	// A source added on this node works at once, even right after an
	// unknown key was refused; a revoked one is refused at once.
	if r := h.do("POST", "/api/v1/events", key, ev("cam-9", 0.9, 0)); r.status != 200 && r.status != 201 {
		t.Fatalf("before revocation: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/events", "ywev_unknown", ev("cam-9", 0.9, 0)); r.status != 401 {
		t.Fatalf("unknown key: %d", r.status)
	}
	key2, _, err := h.app.Service.CreateEventSource(context.Background(), service.NewEventSource{Code: "iot", Name: "物联感知平台"})
	if err != nil {
		t.Fatal(err)
	}
	if r := h.do("POST", "/api/v1/events", key2, map[string]any{"device_id": "well-1", "event_type": eventCategory(t, h), "lat": lat, "lng": lng}); r.status != 201 {
		t.Fatalf("a source added a moment ago: %d %s", r.status, r.raw)
	}
	if _, err := h.app.Service.RevokeEventSource(context.Background(), "xueliang"); err != nil {
		t.Fatal(err)
	}
	if r := h.do("POST", "/api/v1/events", key, ev("cam-9", 0.9, 0)); r.status != 403 {
		t.Fatalf("revoked key: %d %s", r.status, r.raw)
	}
}

// TestEventsIntakeRetryHTTP: a platform that lost an answer posts the same
// event_id again and gets the first answer (duplicate: true), counted once;
// the same event_id with other content is a conflict (409 alone, the
// event's error in a batch) that writes nothing; an over-long id is a
// field error that writes nothing.
func TestEventsIntakeRetryHTTP(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{})
	lat, lng := gridPoint(t, h, 1)
	ev := func(id, dev string) map[string]any {
		return map[string]any{"event_id": id, "device_id": dev, "event_type": "occupy_road", "confidence": 0.9, "lat": lat, "lng": lng}
	}
	casesBefore := h.sqlCount(`SELECT COUNT(*) FROM cases`)
	first := h.do("POST", "/api/v1/events", key, ev("ALM-20261129-0001", "cam-r"))
	if first.status != 201 || first.body["outcome"] != "created" || first.body["duplicate"] != nil {
		t.Fatalf("first post: %d %s", first.status, first.raw)
	}
	again := h.do("POST", "/api/v1/events", key, ev("ALM-20261129-0001", "cam-r"))
	if again.status != 200 || again.body["outcome"] != "created" || again.body["duplicate"] != true ||
		again.body["case_id"] != first.body["case_id"] || again.body["receipt"] != first.body["receipt"] || again.body["count"].(float64) != 1 {
		t.Fatalf("retry: %d %s; first %s", again.status, again.raw, first.raw)
	}
	if again.header.Get("Location") != "" {
		t.Fatalf("a retry answered with a Location of a new case")
	}
	batch := h.do("POST", "/api/v1/events", key, map[string]any{"events": []any{
		ev("ALM-20261129-0002", "cam-r"), ev("ALM-20261129-0001", "cam-r"), ev("ALM-20261129-0002", "cam-r"),
		ev(strings.Repeat("号", 65), "cam-r"),
	}})
	res, _ := batch.body["results"].([]any)
	if batch.status != 200 || len(res) != 4 {
		t.Fatalf("batch: %d %s", batch.status, batch.raw)
	}
	type want struct {
		outcome string
		dup     bool
		count   float64
	}
	for i, w := range []want{{"folded", false, 2}, {"created", true, 2}, {"folded", true, 2}} {
		r := res[i].(map[string]any)
		dup, _ := r["duplicate"].(bool)
		if r["outcome"] != w.outcome || dup != w.dup || r["count"].(float64) != w.count {
			t.Fatalf("batch result %d: %v, want %+v", i, r, w)
		}
	}
	bad := res[3].(map[string]any)["error"].(map[string]any)
	if f, _ := bad["fields"].(map[string]any); f["event_id"] == nil {
		t.Fatalf("over-long event_id: %v", bad)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`) - casesBefore; n != 1 {
		t.Fatalf("%d cases made, want 1", n)
	}
	if n := h.sqlCount(`SELECT SUM(count) FROM machine_events`); n != 2 {
		t.Fatalf("sightings counted %d, want 2", n)
	}

	// The same id from another camera, or at another confidence: another
	// event under a used id.
	for _, body := range []map[string]any{ev("ALM-20261129-0001", "cam-other"), func() map[string]any {
		e := ev("ALM-20261129-0001", "cam-r")
		e["confidence"] = 0.7
		return e
	}()} {
		c := h.do("POST", "/api/v1/events", key, body)
		e, _ := c.body["error"].(map[string]any)
		f, _ := e["fields"].(map[string]any)
		if c.status != 409 || e["code"] != "event_id_conflict" || e["message"] == "" || f["event_id"] == nil || c.header.Get("Location") != "" {
			t.Fatalf("same id, other content: %d %s", c.status, c.raw)
		}
	}
	batch = h.do("POST", "/api/v1/events", key, map[string]any{"events": []any{ev("ALM-20261129-0002", "cam-other"), ev("ALM-20261129-0002", "cam-r")}},
		"Accept-Language", "en")
	res, _ = batch.body["results"].([]any)
	if batch.status != 200 || len(res) != 2 || batch.body["failed"].(float64) != 1 {
		t.Fatalf("batch with a conflict: %d %s", batch.status, batch.raw)
	}
	e, _ := res[0].(map[string]any)["error"].(map[string]any)
	if e["code"] != "event_id_conflict" || !strings.Contains(e["message"].(string), "different content") || res[0].(map[string]any)["outcome"] != nil {
		t.Fatalf("conflicting event in a batch: %v", res[0])
	}
	if r := res[1].(map[string]any); r["duplicate"] != true || r["error"] != nil {
		t.Fatalf("the unchanged retry beside it: %v", r)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`) - casesBefore; n != 1 {
		t.Fatalf("conflicts made cases: %d, want 1", n)
	}
	if n := h.sqlCount(`SELECT SUM(count) FROM machine_events`); n != 2 {
		t.Fatalf("conflicts counted: %d sightings, want 2", n)
	}
}

// TestEventsIntakeShardedWriters: with several intake writers (as on
// PostgreSQL) a batch is split by fold key; every event's result comes back
// in its place, and a device's repeats still fold in the order sent.
func TestEventsIntakeShardedWriters(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{Workers: 3})
	lat, lng := gridPoint(t, h, 2)
	casesBefore := h.sqlCount(`SELECT COUNT(*) FROM cases`)
	const devices, repeats = 20, 3
	var evs []any
	for r := range repeats {
		for d := range devices {
			evs = append(evs, map[string]any{"event_id": fmt.Sprintf("S-%d-%d", d, r), "device_id": fmt.Sprintf("shard-cam-%d", d),
				"event_type": "occupy_road", "confidence": 0.9, "lat": lat, "lng": lng})
		}
	}
	r := h.do("POST", "/api/v1/events", key, map[string]any{"events": evs})
	res, _ := r.body["results"].([]any)
	if r.status != 200 || len(res) != devices*repeats {
		t.Fatalf("batch: %d %s", r.status, r.raw)
	}
	caseOf := map[int]float64{}
	for i, x := range res {
		o := x.(map[string]any)
		d, rep := i%devices, i/devices
		if int(o["index"].(float64)) != i {
			t.Fatalf("result %d has index %v", i, o["index"])
		}
		want := "folded"
		if rep == 0 {
			want = "created"
			caseOf[d] = o["case_id"].(float64)
		}
		if o["outcome"] != want || o["count"].(float64) != float64(rep+1) || o["case_id"].(float64) != caseOf[d] {
			t.Fatalf("event %d (device %d, sighting %d): %v", i, d, rep+1, o)
		}
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`) - casesBefore; n != devices {
		t.Fatalf("%d cases, want %d", n, devices)
	}
}

// TestEventsIntakeShardedSameID: an event id sent several times in one
// request with different devices (so different fold keys, and writers)
// reaches one writer: the first is recorded, each other one is answered
// as a conflict (other content under the same id), never as a second
// case or an internal error. (Before content hashes, these were silent
// duplicates.)
func TestEventsIntakeShardedSameID(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		h, key := intakeHarness(t, service.IntakeOptions{Workers: 4})
		shardedSameID(t, h, key)
	})
	t.Run("postgres", func(t *testing.T) {
		// Here the writers' transactions really run side by side.
		h, key := intakeHarnessOn(t, service.IntakeOptions{Workers: 4}, storetest.PostgresURL(t))
		shardedSameID(t, h, key)
	})
}

func shardedSameID(t *testing.T, h *harness, key string) {
	lat, lng := gridPoint(t, h, 3)
	var evs []any
	for d := range 8 {
		evs = append(evs, map[string]any{"event_id": "SAME-1", "device_id": fmt.Sprintf("same-cam-%d", d), "event_type": "occupy_road",
			"confidence": 0.9, "lat": lat, "lng": lng})
	}
	r := h.do("POST", "/api/v1/events", key, map[string]any{"events": evs})
	res, _ := r.body["results"].([]any)
	if r.status != 200 || len(res) != 8 {
		t.Fatalf("batch: %d %s", r.status, r.raw)
	}
	for i, x := range res {
		o := x.(map[string]any)
		e, _ := o["error"].(map[string]any)
		if i == 0 && (e != nil || o["outcome"] != "created") || i > 0 && (e == nil || e["code"] != "event_id_conflict") {
			t.Fatalf("event %d: %v (%s)", i, o, r.raw)
		}
	}
}
