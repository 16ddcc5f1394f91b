package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestReporterNeverReachesTheUnit creates a report against the 城管 unit
// and then, as that unit and as the grid worker, fetches every API route,
// the web pages, the exports and Open311: the reporter's name and phone
// appear nowhere.
func TestReporterNeverReachesTheUnit(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ref := h.app.Service.Ref()
	var gridID, cgID int64
	for _, u := range mustUsers(t, h) {
		switch u.Username {
		case "wgy001":
			gridID = u.OrgID
		case "chengguan":
			cgID = u.OrgID
		}
	}
	lat, lng := gridCentre(t, ref.Grids[gridID].Geometry)
	var cat string
	for _, c := range ref.CatList {
		if c.DefaultUnitID == cgID && ref.IsLeaf(c.ID) && c.Public {
			cat = c.Code
			break
		}
	}
	const name, phone = "检举人司马光", "13912345987"
	r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": cat, "description": "反映城管执法问题", "lat": lat, "lng": lng,
		"reporter": map[string]any{"name": name, "phone": phone}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := itoa(num(r.body["id"]))
	op, disp, unit := h.login("operator1"), h.login("dispatcher"), h.login("chengguan")
	h.do("POST", "/api/v1/cases/"+id+"/actions/accept", op, map[string]any{"version": 1})
	if r := h.do("POST", "/api/v1/cases/"+id+"/actions/dispatch", disp, map[string]any{"version": 2}); r.status != 200 {
		t.Fatalf("dispatch: %d %s", r.status, r.raw)
	}
	h.do("POST", "/api/v1/cases/"+id+"/actions/sign", unit, map[string]any{"version": 3})
	leaks := func(where string, body []byte, asked ...string) {
		t.Helper()
		s := string(body)
		for _, secret := range []string{name, "司马", phone, "12345987", "912345"} {
			// A search may echo what the user typed; that is not a leak.
			echoed := false
			for _, q := range asked {
				echoed = echoed || strings.Contains(q, secret)
			}
			if !echoed && strings.Contains(s, secret) {
				t.Errorf("%s shows %q", where, secret)
			}
		}
	}
	// Make sure the check can see the data at all: the operator may reveal it.
	if r := h.do("POST", "/api/v1/cases/"+id+"/reveal", op, map[string]any{"reason": "回访核实"}); !strings.Contains(string(r.raw), phone) {
		t.Fatalf("operator reveal does not show the phone: %s", r.raw)
	}
	for _, who := range []string{"chengguan", "wgy001"} {
		tok := h.login(who)
		for _, route := range h.app.APIRoutes {
			method, path, _ := strings.Cut(route, " ")
			if method != "GET" || !strings.HasPrefix(path, "/api/") {
				continue
			}
			p := strings.NewReplacer("{id}", id, "{kind}", "rectification", "{type}", "city_case", "{receipt}", "none").Replace(path)
			for _, q := range []string{"", "?format=csv", "?format=xlsx", "?q=" + url.QueryEscape(name), "?q=" + phone} {
				res := h.do("GET", p+q, tok, nil)
				asked, _ := url.QueryUnescape(q)
				leaks(who+" GET "+p+q, res.raw, asked)
			}
		}
		if r := h.do("POST", "/api/v1/cases/"+id+"/reveal", tok, map[string]any{"reason": "我想知道是谁"}); r.status != 403 {
			t.Errorf("%s reveal: %d", who, r.status)
		}
		wc := newWebClient(t, h.srv.URL, nil)
		wc.login(who)
		pages := 0
		for _, p := range []string{"/work/inbox", "/work/inbox?state=handling", "/work/cases/" + id, "/work/grid", "/work/dispatch-sheet", "/work/dashboard", "/work/new", "/work/field", "/work/field/data"} {
			pg := wc.get(p)
			if pg.status == 200 {
				pages++
			}
			leaks(who+" page "+p, []byte(pg.body))
		}
		if pages < 2 {
			t.Errorf("%s could open only %d work pages: the check saw nothing", who, pages)
		}
	}
	for _, p := range []string{"/open311/v2/requests.json?extensions=true", "/open311/v2/requests.xml?extensions=true", "/open311/v2/requests/" + id + ".json?extensions=true", "/track?receipt=none"} {
		res, err := http.Get(h.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		leaks("public "+p, body)
	}
}
