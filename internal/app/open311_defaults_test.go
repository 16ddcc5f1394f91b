package app_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// importCases writes n cases of category code at the given times
// (created = updated = at(i)) straight into the store, accepted (立案) at
// once so that anyone may list them.
func importCases(t *testing.T, h *harness, code string, n int, at func(i int) time.Time) []int64 {
	t.Helper()
	cat := h.app.Service.Ref().ByCode[code]
	lat, lng, _ := demoPoint(t, h, 3)
	var cs []store.CaseWithTimeline
	for i := range n {
		tm := at(i)
		cs = append(cs, store.CaseWithTimeline{
			Case: model.Case{Receipt: fmt.Sprintf("T%s%05d%04d", code, i, time.Now().UnixNano()%10000), Type: cat.CaseType, DefVersion: 1, Channel: model.ChannelApp,
				CategoryID: cat.ID, Description: fmt.Sprintf("批量案件 %d", i), Lat: lat, Lng: lng, Status: model.StateRegistered, Version: 2, CreatedAt: tm, UpdatedAt: tm},
			Events: []model.Event{{Seq: 1, At: tm, ActorName: "群众", Role: model.RoleCitizen, Action: "create", ToState: model.StateReported},
				{Seq: 2, At: tm, ActorName: "受理员", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered}},
		})
	}
	if err := h.app.Store.ImportCases(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i := range cs {
		ids[i] = cs[i].Case.ID
	}
	return ids
}

func listIDs(t *testing.T, h *harness, query string) ([]string, o311) {
	t.Helper()
	r := h.open311(t, "GET", "requests.json?"+query, "requests", nil, "")
	if r.status != 200 {
		t.Fatalf("requests.json?%s: %d %s", query, r.status, r.raw)
	}
	var ids []string
	for _, d := range jsonList(t, r.raw) {
		ids = append(ids, d["service_request_id"].(string))
	}
	return ids, r
}

// TestOpen311Defaults checks the spec's defaults — the last 90 days, at
// most 1000 requests — and the paging extension's boundaries.
func TestOpen311Defaults(t *testing.T) {
	h := newHarness(t, t.TempDir())
	loadSchemas(t)
	now := time.Now()
	// 1100 requests in the last days, newest last; 7 older than 90 days.
	recent := importCases(t, h, "E0102", 1100, func(i int) time.Time { return now.Add(-time.Duration(1100-i) * time.Minute) })
	old := importCases(t, h, "E0102", 7, func(i int) time.Time { return now.Add(-91*24*time.Hour - time.Duration(i)*time.Hour) })

	_, r := listIDs(t, h, "service_code=E0102&page_size=1")
	total, _ := strconv.Atoi(r.header.Get("X-Total-Count"))
	if total < 1100 {
		t.Fatalf("X-Total-Count %d, want ≥ 1100", total)
	}
	ids, r := listIDs(t, h, "service_code=E0102")
	if len(ids) != 1000 {
		t.Fatalf("default list has %d requests, want the cap of 1000", len(ids))
	}
	if ids[0] != fmt.Sprint(recent[1099]) {
		t.Fatalf("newest first: got %s first, want %d", ids[0], recent[1099])
	}
	if !strings.Contains(r.header.Get("Link"), `rel="next"`) {
		t.Errorf("a full page has no next link: %q", r.header.Get("Link"))
	}
	for _, id := range old {
		if slices.Contains(ids, fmt.Sprint(id)) {
			t.Fatalf("request %d older than 90 days listed by default", id)
		}
	}
	// Without a service filter too: never more than 1000.
	if all, _ := listIDs(t, h, ""); len(all) != 1000 {
		t.Fatalf("unfiltered default list has %d", len(all))
	}
	// An explicit window reaches the old ones.
	start := now.Add(-100 * 24 * time.Hour).Format(time.RFC3339)
	end := now.Add(-90 * 24 * time.Hour).Format(time.RFC3339)
	oldIDs, _ := listIDs(t, h, "service_code=E0102&start_date="+url.QueryEscape(start)+"&end_date="+url.QueryEscape(end))
	if len(oldIDs) != 7 {
		t.Fatalf("window before 90 days: %d requests, want 7", len(oldIDs))
	}
	// start_date alone spans 90 days from it.
	alone, _ := listIDs(t, h, "service_code=E0102&start_date="+url.QueryEscape(start))
	span, _ := listIDs(t, h, "service_code=E0102&start_date="+url.QueryEscape(start)+"&end_date="+url.QueryEscape(now.Add(-10*24*time.Hour).Format(time.RFC3339)))
	if len(alone) < 7 || !slices.Equal(alone, span) {
		t.Fatalf("start_date alone: %d requests, with end_date 90 days on: %d", len(alone), len(span))
	}
	// updated_after alone has no default window.
	ids, r = listIDs(t, h, "service_code=E0102&page_size=1000&page=2&updated_after="+url.QueryEscape(now.Add(-200*24*time.Hour).Format(time.RFC3339)))
	if n, _ := strconv.Atoi(r.header.Get("X-Total-Count")); n < total+7 || len(ids) != n-1000 {
		t.Fatalf("updated_after page 2: %d of %d, want all %d+7 without a date window", len(ids), n, total)
	}
	if ids, _ := listIDs(t, h, "service_code=E0102&updated_before="+url.QueryEscape(now.Add(-90*24*time.Hour).Format(time.RFC3339))); len(ids) < 7 || slices.Contains(ids, fmt.Sprint(recent[0])) {
		t.Fatalf("updated_before: %d requests", len(ids))
	}

	// Paging: pages of 7 over the window concatenate to the whole list,
	// the last page is short, past it is empty, and only the last has no
	// next link.
	want, _ := listIDs(t, h, "service_code=E0102&page_size=1000&page=1")
	rest, _ := listIDs(t, h, "service_code=E0102&page_size=1000&page=2")
	want = append(want, rest...)
	if len(want) != total {
		t.Fatalf("pages of 1000: %d, want %d", len(want), total)
	}
	var got []string
	pages := (len(want) + 96) / 97
	for p := 1; p <= pages; p++ {
		ids, r := listIDs(t, h, fmt.Sprintf("service_code=E0102&page_size=97&page=%d", p))
		if p < pages && (len(ids) != 97 || !strings.Contains(r.header.Get("Link"), fmt.Sprintf("page=%d", p+1))) {
			t.Fatalf("page %d: %d requests, link %q", p, len(ids), r.header.Get("Link"))
		}
		if p == pages && (len(ids) != len(want)-97*(pages-1) || r.header.Get("Link") != "") {
			t.Fatalf("last page: %d requests, link %q", len(ids), r.header.Get("Link"))
		}
		got = append(got, ids...)
	}
	if !slices.Equal(got, want) {
		t.Fatal("pages of 97 differ from pages of 1000")
	}
	if ids, r := listIDs(t, h, fmt.Sprintf("service_code=E0102&page_size=97&page=%d", pages+1)); len(ids) != 0 || string(r.raw) != "[]\n" {
		t.Fatalf("past the last page: %s", r.raw)
	}
	if r := h.open311(t, "GET", fmt.Sprintf("requests.xml?service_code=E0102&page_size=97&page=%d", pages+1), "requests", nil, ""); r.status != 200 {
		t.Fatalf("empty XML page: %d", r.status)
	}
	// service_request_id ignores the window.
	if ids, _ := listIDs(t, h, fmt.Sprintf("service_request_id=%d,%d", old[0], recent[5])); len(ids) != 2 {
		t.Fatalf("by id: %v", ids)
	}
	// servicerequestupdates has the same cap.
	u := h.open311(t, "GET", "servicerequestupdates.json?page_size=5", "updates", nil, "")
	if u.status != 200 || len(jsonList(t, u.raw)) > 5 {
		t.Fatalf("updates page: %d %s", u.status, u.raw)
	}
}

// TestOpen311RateLimit: a key with a budget of 3 a minute gets 429 on
// the fourth request; another key is unaffected.
func TestOpen311RateLimit(t *testing.T) {
	h := newHarness(t, t.TempDir())
	loadSchemas(t)
	slow := apiKey(t, h, service.NewAPIKey{Name: "slow", RatePerMinute: 3})
	other := apiKey(t, h, service.NewAPIKey{Name: "other"})
	for i := range 3 {
		if r := h.open311(t, "GET", "requests.json?api_key="+slow, "requests", nil, ""); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := h.open311(t, "GET", "requests.json?api_key="+slow, "errors", nil, "")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("fourth request: %d %v", r.status, r.header)
	}
	if r := h.open311(t, "GET", "requests.json?api_key="+other, "requests", nil, ""); r.status != 200 {
		t.Fatalf("other key: %d", r.status)
	}
}

// TestIdempotencyConcurrent sends the same create ten times at once with
// one Idempotency-Key, to the native API and to Open311: one case each.
func TestIdempotencyConcurrent(t *testing.T) {
	h := newHarness(t, t.TempDir())
	lat, lng, _ := demoPoint(t, h, 9)
	cat := pickCategory(t, h, true)
	before := h.counts()["cases"]
	var wg sync.WaitGroup
	ids := make([]float64, 10)
	statuses := make([]int, 10)
	for i := range 10 {
		wg.Go(func() {
			r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": cat.Code, "description": "同一次上报", "lat": lat, "lng": lng},
				"Idempotency-Key", "same-key-42")
			statuses[i] = r.status
			ids[i], _ = r.body["id"].(float64)
		})
	}
	wg.Wait()
	for i := range 10 {
		if statuses[i] != 201 || ids[i] == 0 || ids[i] != ids[0] {
			t.Fatalf("request %d: status %d id %v, first id %v", i, statuses[i], ids[i], ids[0])
		}
	}
	if n := h.counts()["cases"]; n != before+1 {
		t.Fatalf("%d cases created, want 1", n-before)
	}

	key := apiKey(t, h, service.NewAPIKey{})
	before = h.counts()["cases"]
	got := make([]o311, 10)
	for i := range 10 {
		wg.Go(func() {
			got[i] = h.open311(t, "POST", "requests.json", "created", form("api_key", key, "service_code", "E0102", "lat", fmt.Sprint(lat), "long", fmt.Sprint(lng),
				"description", "垃圾没人清"), formType, "Idempotency-Key", "o311-key-7")
		})
	}
	wg.Wait()
	var first map[string]any
	for i, r := range got {
		if r.status != 201 && r.status != 200 {
			t.Fatalf("open311 request %d: %d %s", i, r.status, r.raw)
		}
		d := jsonList(t, r.raw)[0]
		if first == nil {
			first = d
		}
		if d["service_request_id"] != first["service_request_id"] || d["token"] != first["token"] {
			t.Fatalf("open311 request %d answered %v, another %v", i, d, first)
		}
	}
	if n := h.counts()["cases"]; n != before+1 {
		t.Fatalf("open311: %d cases created, want 1", n-before)
	}
}
