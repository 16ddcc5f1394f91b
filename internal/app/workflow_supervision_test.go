package app_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSupervisionDocuments issues each kind of document as the roles that
// may, refuses the others, and tracks one to the unit's reply.
func TestSupervisionDocuments(t *testing.T) {
	w := newWFHarness(t, wfMonday, -1)
	jiaoyu := w.org("jiaoyu")
	r := w.do("POST", "/api/v1/cases", w.tok("discipline"), map[string]any{"type": "rectification", "category": "Z01", "description": "校园餐问题", "fields": map[string]any{"problem_source": "audit"}})
	caseID := num(r.body["id"])
	issue := func(user, kind string, extra map[string]any) resp {
		body := map[string]any{"kind": kind, "unit": jiaoyu, "title": "关于校园餐问题整改的" + kind, "body": "请于期限内整改并书面回复。", "cases": []int64{caseID}}
		for k, v := range extra {
			body[k] = v
		}
		return w.do("POST", "/api/v1/supervisions", w.tok(user), body)
	}
	for _, c := range []struct {
		user, kind string
		status     int
	}{
		{"supervisor", "duban", 201}, {"leader", "duban", 201}, {"jiaoyu", "duban", 403}, {"operator1", "duban", 403},
		{"discipline", "reminder", 201}, {"supervisor", "reminder", 403},
		{"discipline", "recommendation", 201}, {"leader", "recommendation", 403},
		{"leader", "interview", 201}, {"dispatcher", "interview", 403},
	} {
		if r := issue(c.user, c.kind, nil); r.status != c.status {
			t.Errorf("%s issues %s: %d, want %d: %s", c.user, c.kind, r.status, c.status, r.raw)
		}
	}
	for _, c := range []struct {
		extra map[string]any
		field string
	}{
		{map[string]any{"kind": "memo"}, "kind"},
		{map[string]any{"unit": 999999}, "unit"},
		{map[string]any{"title": " "}, "title"},
		{map[string]any{"cases": []int64{999999}}, "cases"},
		{map[string]any{"due_at": wfMonday.Add(-time.Hour)}, "due_at"},
		{map[string]any{"reply_working_days": 40}, "reply_working_days"},
	} {
		r := issue("discipline", "reminder", c.extra)
		if c.field == "kind" {
			r = w.do("POST", "/api/v1/supervisions", w.tok("discipline"), map[string]any{"kind": "memo", "unit": jiaoyu, "title": "x"})
		}
		if r.status != 422 || wfFieldErr(r, c.field) == "" {
			t.Errorf("%v: %d %s", c.extra, r.status, r.raw)
		}
	}

	// The unit sees the four documents addressed to it; the supervisor
	// does not see the commission's recommendation.
	list := func(user, q string) []any {
		r := w.do("GET", "/api/v1/supervisions"+q, w.tok(user), nil)
		if r.status != 200 {
			t.Fatalf("list as %s: %d %s", user, r.status, r.raw)
		}
		docs, _ := r.body["supervisions"].([]any)
		return docs
	}
	if n := len(list("jiaoyu", "")); n != 5 {
		t.Fatalf("unit sees %d documents, want 5", n)
	}
	if n := len(list("zhujian", "")); n != 0 {
		t.Fatalf("another unit sees %d", n)
	}
	for _, d := range list("supervisor", "") {
		if d.(map[string]any)["kind"] == "recommendation" {
			t.Fatal("the supervisor sees a 纪检监察建议书")
		}
	}
	if n := len(list("discipline", fmt.Sprintf("?case=%d", caseID))); n != 5 {
		t.Fatalf("by case: %d", n)
	}
	if r := w.do("GET", "/api/v1/supervisions", w.tok("citizen"), nil); r.status != 403 {
		t.Fatalf("citizen lists: %d", r.status)
	}

	// A reminder: 3 working days to reply by default, a notice to the unit,
	// the reply back to the issuer.
	r = issue("discipline", "reminder", nil)
	doc := r.body
	if doc["due_at"] != "2026-03-05T23:59:59+08:00" || doc["status"] != "open" {
		t.Fatalf("reminder: %s", r.raw)
	}
	id := num(doc["id"])
	r = w.do("GET", "/api/v1/notifications", w.tok("jiaoyu"), nil)
	if !strings.Contains(string(r.raw), "工作提示函") {
		t.Fatalf("unit not notified: %s", r.raw)
	}
	if r := w.do("POST", fmt.Sprintf("/api/v1/supervisions/%d/reply", id), w.tok("zhujian"), map[string]any{"reply": "x"}); r.status != 404 {
		t.Fatalf("another unit replies: %d", r.status)
	}
	if r := w.do("POST", fmt.Sprintf("/api/v1/supervisions/%d/reply", id), w.tok("jiaoyu"), map[string]any{"reply": ""}); r.status != 422 || wfFieldErr(r, "reply") == "" {
		t.Fatalf("empty reply: %d", r.status)
	}
	w.clock.Advance(oneDay)
	r = w.do("POST", fmt.Sprintf("/api/v1/supervisions/%d/reply", id), w.tok("jiaoyu"), map[string]any{"reply": "已完成整改，建立食堂经费公示制度"})
	if r.status != 200 || r.body["status"] != "replied" {
		t.Fatalf("reply: %d %s", r.status, r.raw)
	}
	r = w.do("GET", "/api/v1/notifications", w.tok("discipline"), nil)
	if !strings.Contains(string(r.raw), "【已回复】") {
		t.Fatalf("issuer not told of the reply: %s", r.raw)
	}
	ns, _ := r.body["notifications"].([]any)
	nid := num(ns[0].(map[string]any)["id"])
	if r := w.do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), w.tok("jiaoyu"), nil); r.status != 404 {
		t.Fatalf("reading another's notification: %d", r.status)
	}
	if r := w.do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), w.tok("discipline"), nil); r.status != 204 {
		t.Fatalf("read: %d", r.status)
	}
	if n := len(list("jiaoyu", "?status=open")); n != 5 {
		t.Fatalf("open after the reply: %d", n)
	}
}

// TestDispatchSheet builds the daily sheet after a day's work: open items
// per unit and per owning leader, what changed since yesterday, what is due
// today or late; and its CSV export for Excel.
func TestDispatchSheet(t *testing.T) {
	w := newWFHarness(t, wfMonday, -1)
	lat, lng, _ := demoPoint(t, w.harness, 29)
	newCase := func(cat, desc string) int64 {
		r := w.do("POST", "/api/v1/cases", "", map[string]any{"category": cat, "description": desc, "lat": lat, "lng": lng})
		id := num(r.body["id"])
		w.act("operator1", id, "accept", map[string]any{"version": 1})
		if r := w.act("dispatcher", id, "dispatch", map[string]any{"version": 2}); r.status != 200 {
			t.Fatalf("dispatch: %d %s", r.status, r.raw)
		}
		return id
	}
	late := newCase("E0401", "路面塌陷")  // 住建局, 2 hours: late by tomorrow
	soon := newCase("0101", "上水井盖破损") // 住建局, 24 working hours
	lamp := newCase("0105", "路灯不亮")   // 城管局, 3 working days
	w.act("leader", lamp, "own", map[string]any{"version": 3})
	intake := w.do("POST", "/api/v1/cases", "", map[string]any{"category": "0105", "description": "新上报", "lat": lat, "lng": lng})
	clue := w.do("POST", "/api/v1/cases", w.tok("discipline"), map[string]any{"type": "clue", "description": "线索", "fields": map[string]any{"source": "petition", "subject_name": "某某"}})

	// Tuesday: the sheet of the day.
	w.clock.Set(wfMonday.Add(oneDay + 30*time.Minute))
	w.act("zhujian", soon, "sign", map[string]any{"version": 3})
	r := w.do("GET", "/api/v1/dispatch-sheet", w.tok("leader"), nil)
	if r.status != 200 || r.body["date"] != "2026-03-03" {
		t.Fatalf("sheet: %d %s", r.status, r.raw)
	}
	group := func(body map[string]any, list, name string) map[string]any {
		for _, g := range body[list].([]any) {
			if m := g.(map[string]any); m["name"] == name {
				return m
			}
		}
		t.Fatalf("no %s group %q in %v", list, name, body[list])
		return nil
	}
	// The demo history has open cases of its own: look for ours.
	zj := group(r.body, "units", "区住房和城乡建设局")
	item := func(g map[string]any, id int64) map[string]any {
		for _, it := range g["items"].([]any) {
			if m := it.(map[string]any); num(m["case_id"]) == id {
				return m
			}
		}
		t.Fatalf("case %d not in %v", id, g["name"])
		return nil
	}
	if num(zj["open"]) < 2 || num(zj["overdue"]) < 1 || num(zj["changed"]) < 2 || num(zj["new"]) != 2 {
		t.Fatalf("住建局: %v", zj)
	}
	if it := item(zj, late); it["flag"] != "overdue" || it["new"] != true {
		t.Fatalf("late case: %v", it)
	}
	// The first item is the most overdue.
	if zj["items"].([]any)[0].(map[string]any)["flag"] != "overdue" {
		t.Fatal("the sheet does not start with what is late")
	}
	// The 24 working hours of the manhole cover end on Thursday, and
	// Tuesday's sign-for shows among the changes.
	if it := item(zj, soon); it["flag"] != nil || !strings.Contains(fmt.Sprint(it["changes"]), "签收") {
		t.Fatalf("manhole cover: %v", it)
	}
	if g := group(r.body, "leaders", "区领导赵建国"); num(g["open"]) != 1 || num(g["items"].([]any)[0].(map[string]any)["case_id"]) != lamp {
		t.Fatalf("leader's part: %v", g)
	}
	if g := group(r.body, "units", "受理派遣环节"); num(g["open"]) < 1 || !strings.Contains(string(r.raw), fmt.Sprint(intake.body["id"])) {
		t.Fatalf("intake: %v", g)
	}
	// The leader does not see discipline clues on the sheet.
	if strings.Contains(string(r.raw), `"type":"clue"`) {
		t.Fatal("a clue on the leader's sheet")
	}
	_ = clue

	// A unit sees only its own part.
	r = w.do("GET", "/api/v1/dispatch-sheet", w.tok("chengguan"), nil)
	if units := r.body["units"].([]any); r.status != 200 || len(units) != 1 || len(r.body["leaders"].([]any)) != 0 {
		t.Fatalf("unit's sheet: %s", r.raw)
	}
	if r := w.do("GET", "/api/v1/dispatch-sheet", w.tok("citizen"), nil); r.status != 403 {
		t.Fatalf("citizen: %d", r.status)
	}
	if r := w.do("GET", "/api/v1/dispatch-sheet?date=2026-13-01", w.tok("leader"), nil); r.status != 400 || wfFieldErr(r, "date") == "" {
		t.Fatalf("bad date: %d", r.status)
	}

	// The CSV export: UTF-8 with a BOM, Chinese headers, one row per item.
	req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/dispatch-sheet.csv?date=2026-03-03", nil)
	req.Header.Set("Authorization", "Bearer "+w.tok("leader"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		t.Fatalf("csv: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), raw[:min(len(raw), 20)])
	}
	rows, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "调度日期" || rows[0][10] != "时限状态" {
		t.Fatalf("header %v", rows[0])
	}
	found := false
	for _, row := range rows[1:] {
		if row[3] == fmt.Sprint(late) && row[10] == "超期" && row[2] == "区住房和城乡建设局" {
			found = true
		}
	}
	if !found {
		t.Fatalf("late case not in the csv:\n%s", raw)
	}
}
