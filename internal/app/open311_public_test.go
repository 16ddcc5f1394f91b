package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// TestOpen311PublicOutput: without a key (or with a public-scope key) a
// request exists only once staff accepted it, and then with the
// citizen's words masked, the address down to its road and the point
// moved by at most the configured precision; a staff-scope key reads it
// from the start, exact and as typed. Rejected cases and cases of a
// category made private are not listed.
func TestOpen311PublicOutput(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	key := apiKey(t, h, service.NewAPIKey{Name: "市民随手拍"})
	staff := apiKey(t, h, service.NewAPIKey{Name: "内部系统", Scope: store.KeyScopeStaff})
	lat, lng, _ := demoPoint(t, h, 31)
	const desc = "我叫张三丰，电话13812345678，车牌湘K12345，在人民路188号门口乱停车"
	post := func(description string) string {
		t.Helper()
		r := h.open311(t, "POST", "requests.json", "created", form("api_key", key, "service_code", "E0102",
			"lat", fmt.Sprint(lat), "long", fmt.Sprint(lng), "address_string", "人民路188号3栋", "description", description), formType)
		if r.status != 201 {
			t.Fatalf("post: %d %s", r.status, r.raw)
		}
		return jsonList(t, r.raw)[0]["service_request_id"].(string)
	}
	get := func(id, query string) (int, map[string]any) {
		t.Helper()
		r := h.open311(t, "GET", "requests/"+id+".json"+query, "requests", nil, "")
		if r.status != 200 {
			return r.status, nil
		}
		return r.status, jsonList(t, r.raw)[0]
	}
	listed := func(id, query string) bool {
		t.Helper()
		r := h.open311(t, "GET", "requests.json?page_size=1000"+query, "requests", nil, "")
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		return slices.ContainsFunc(jsonList(t, r.raw), func(d map[string]any) bool { return d["service_request_id"] == id })
	}
	updated := func(id, query string) bool {
		t.Helper()
		r := h.open311(t, "GET", "servicerequestupdates.json?page_size=1000"+query, "updates", nil, "")
		return slices.ContainsFunc(jsonList(t, r.raw), func(d map[string]any) bool { return d["service_request_id"] == id })
	}

	pub := h.app.Service.PublishedStates()
	for _, st := range []model.State{model.StateReported, model.StateRejected, model.StateMerged, service.StateCancelled} {
		if slices.Contains(pub["city_case"], st) {
			t.Errorf("city cases in state %s are published", st)
		}
	}
	for _, st := range []model.State{model.StateRegistered, model.StateDispatched, model.StateClosed} {
		if !slices.Contains(pub["city_case"], st) {
			t.Errorf("city cases in state %s are not published", st)
		}
	}
	if slices.Contains(pub["hotline_order"], "received") || !slices.Contains(pub["hotline_order"], "accepted") {
		t.Errorf("hotline orders published in %v", pub["hotline_order"])
	}
	if _, ok := pub["clue"]; ok {
		t.Error("clues (举报线索) are a published type")
	}

	id := post(desc)
	// Not accepted yet: it does not exist for anyone without a staff key.
	for _, q := range []string{"", "?api_key=" + key} {
		if st, _ := get(id, q); st != 404 {
			t.Errorf("unaccepted request by id (%q): %d, want 404 like an unknown one", q, st)
		}
		if listed(id, strings.Replace(q, "?", "&", 1)) {
			t.Errorf("unaccepted request listed (%q)", q)
		}
		if ids, _ := listIDs(t, h, "service_request_id="+id+strings.Replace(q, "?", "&", 1)); len(ids) != 0 {
			t.Errorf("unaccepted request found by service_request_id (%q)", q)
		}
	}
	if st, d := get(id, "?api_key="+staff); st != 200 || d["description"] != desc || d["lat"] != lat || d["long"] != lng {
		t.Fatalf("staff key before acceptance: %d %v", st, d)
	}

	op := h.login("operator1")
	if r := h.do("POST", "/api/v1/cases/"+id+"/actions/accept", op, map[string]any{"version": 1, "note": "已受理，已电话联系13812345678"}); r.status != 200 {
		t.Fatalf("accept: %d %s", r.status, r.raw)
	}
	const masked = "我叫张**，电话138****5678，车牌湘K****5，在人民路188号门口乱停车"
	for _, q := range []string{"", "?api_key=" + key} {
		st, d := get(id, q+map[bool]string{true: "?", false: "&"}[q == ""]+"extensions=true")
		if st != 200 {
			t.Fatalf("accepted request (%q): %d", q, st)
		}
		if d["description"] != masked || d["address"] != "人民路" || d["status_notes"] != "已受理，已电话联系138****5678" {
			t.Errorf("public document (%q): description %q address %q notes %q", q, d["description"], d["address"], d["status_notes"])
		}
		plat, plng := d["lat"].(float64), d["long"].(float64)
		dist := geo.DistanceM(lat, lng, plat, plng)
		if dist > h.app.Service.PublicPrecisionM() || (plat == lat && plng == lng) {
			t.Errorf("public point (%q) %v,%v is %.1f m from the true %v,%v: want moved, by at most %v m", q, plat, plng, dist, lat, lng, h.app.Service.PublicPrecisionM())
		}
		t.Logf("public point moved %.1f m (precision %v m)", dist, h.app.Service.PublicPrecisionM())
		for _, note := range d["extended_attributes"].(map[string]any)["notes"].([]any) {
			if s, _ := note.(map[string]any)["description"].(string); strings.Contains(s, "13812345678") {
				t.Errorf("extended note shows the phone: %q", s)
			}
		}
		if !listed(id, strings.Replace(q, "?", "&", 1)) || !updated(id, strings.Replace(q, "?", "&", 1)) {
			t.Errorf("accepted request not listed or without updates (%q)", q)
		}
	}
	r := h.open311(t, "GET", "servicerequestupdates.json?page_size=1000", "updates", nil, "")
	if strings.Contains(string(r.raw), "13812345678") {
		t.Error("updates show the phone to anyone")
	}
	if st, d := get(id, "?api_key="+staff); st != 200 || d["description"] != desc || d["address"] != "人民路188号3栋" ||
		d["lat"] != lat || d["long"] != lng || d["status_notes"] != "已受理，已电话联系13812345678" {
		t.Fatalf("staff key after acceptance: %d %v", st, d)
	}

	// A rejected request never shows.
	rej := post("小区门口垃圾堆了三天")
	if r := h.do("POST", "/api/v1/cases/"+rej+"/actions/reject", op, map[string]any{"version": 1, "note": "不属于受理范围"}); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.raw)
	}
	if st, _ := get(rej, ""); st != 404 || listed(rej, "") || updated(rej, "") {
		t.Errorf("rejected request shows to anyone: %d", st)
	}

	// A category made private: its accepted cases leave the public output
	// (and, as before, every key's).
	ref := h.app.Service.Ref()
	cat := ref.ByCode["E0102"]
	var admin model.User
	for _, u := range mustUsers(t, h) {
		if u.Role == model.RoleAdmin {
			admin = u
			break
		}
	}
	if _, err := h.app.Service.UpdateCategory(ctx, admin, cat.ID, service.CategoryInput{ParentID: cat.ParentID, Name: cat.Name, NameEn: cat.NameEn,
		DefaultUnitID: cat.DefaultUnitID, Deadline: cat.Deadline, Public: false}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "&api_key=" + staff} {
		if listed(id, q) {
			t.Errorf("case of a private category listed (%q)", q)
		}
	}
	if st, _ := get(id, ""); st != 404 {
		t.Errorf("case of a private category by id: %d", st)
	}
}
