package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// TestWebUsersMove works a staff move (调动) on the accounts page as a
// browser would: the administrator moves a grid worker to another grid;
// the page confirms it; the worker, still signed in, sees the new grid's
// cases on /work/grid and through the API and no longer the old grid's;
// the grids page shows the worker on the new grid. An org that does not
// fit the account's role comes back on the "org" field with a 422, in
// Chinese and in English, and writes nothing; other roles get 403.
func TestWebUsersMove(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	ref := h.app.Service.Ref()
	worker := mustUser(t, h, "wgy001")
	chengguan := mustUser(t, h, "chengguan")
	oldGrid := worker.OrgID
	if ref.Org[oldGrid].Kind != model.OrgGrid || ref.Org[chengguan.OrgID].Kind != model.OrgDepartment {
		t.Fatalf("wgy001 in %s, chengguan in %s", ref.Org[oldGrid].Kind, ref.Org[chengguan.OrgID].Kind)
	}
	// snapshot reads every account's org, role and state from the users
	// table, to show a refused move wrote nothing.
	snapshot := func() string {
		t.Helper()
		users, err := h.app.Store.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, u := range users {
			fmt.Fprintf(&b, "%d:%d:%s:%t;", u.ID, u.OrgID, u.Role, u.Disabled)
		}
		return b.String()
	}

	// A case in a grid, filed by the public at the grid's centre.
	var catCode string
	for _, c := range ref.CatList {
		if c.DefaultUnitID == chengguan.OrgID && ref.IsLeaf(c.ID) {
			catCode = c.Code
			break
		}
	}
	file := func(grid int64, desc string) (int64, bool) {
		t.Helper()
		lat, lng := gridCentre(t, ref.Grids[grid].Geometry)
		r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": catCode, "description": desc, "lat": lat, "lng": lng,
			"reporter": map[string]any{"name": "调动", "phone": "13800002222"}})
		if r.status != 201 {
			t.Fatalf("file a case in grid %d: %d %s", grid, r.status, r.raw)
		}
		g, _ := r.body["grid"].(map[string]any)
		return num(r.body["id"]), g != nil && num(g["id"]) == grid
	}
	const oldDesc, newDesc = "旧网格的调动测试案件", "新网格的调动测试案件"
	oldCase, ok := file(oldGrid, oldDesc)
	if !ok {
		t.Fatalf("the case at the centre of grid %d is not in it", oldGrid)
	}
	// The new grid: one no account is in, whose centre lies inside it.
	taken := map[int64]bool{}
	for _, u := range mustUsers(t, h) {
		taken[u.OrgID] = true
	}
	var newGrid, newCase int64
	for i, g := range ref.GridList {
		if i%7 != 3 || taken[g.OrgID] || g.StreetID == ref.Grids[oldGrid].StreetID {
			continue
		}
		if id, ok := file(g.OrgID, fmt.Sprintf("%s %d", newDesc, i)); ok {
			newGrid, newCase = g.OrgID, id
			break
		}
	}
	if newGrid == 0 {
		t.Fatal("no free grid found for the move")
	}
	newName := ref.Grids[newGrid].Name
	// A stale worker_id on the new grid (as an import's column would set
	// it): the grids page shows it while no account is in the grid, and
	// the account's org wins once one is.
	stale := mustUser(t, h, "wgy002")
	h.stop()
	db := openRaw(t, h.dir)
	if _, err := db.Exec(`UPDATE grids SET worker_id = ? WHERE org_id = ?`, stale.ID, newGrid); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h.start()
	ref = h.app.Service.Ref()
	staleLabel := stale.DisplayName + " (wgy002)"

	// The worker before the move: the old grid's case, not the new one's.
	ww := newWebClient(t, h.srv.URL, nil)
	ww.login("wgy001")
	token := h.login("wgy001")
	sees := func(when string, wantOld, wantNew bool) {
		t.Helper()
		p := ww.get("/work/grid")
		if p.status != 200 || strings.Contains(p.body, oldDesc) != wantOld || strings.Contains(p.body, newDesc) != wantNew {
			t.Errorf("%s: /work/grid %d shows old %v new %v; want %v %v", when, p.status, strings.Contains(p.body, oldDesc), strings.Contains(p.body, newDesc), wantOld, wantNew)
		}
		r := h.do("GET", "/api/v1/cases", token, nil)
		if r.status != 200 || strings.Contains(string(r.raw), oldDesc) != wantOld || strings.Contains(string(r.raw), newDesc) != wantNew {
			t.Errorf("%s: GET /api/v1/cases %d shows old %v new %v; want %v %v", when, r.status, strings.Contains(string(r.raw), oldDesc), strings.Contains(string(r.raw), newDesc), wantOld, wantNew)
		}
		for id, want := range map[int64]bool{oldCase: wantOld, newCase: wantNew} {
			if r := h.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), token, nil); (r.status == 200) != want {
				t.Errorf("%s: GET /api/v1/cases/%d: %d, want readable %v", when, id, r.status, want)
			}
		}
	}
	sees("before the move", true, false)

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	if row := between(admin.get("/admin/grids").body, fmt.Sprintf(`id="grid-%d"`, newGrid), "</tr>"); !strings.Contains(row, staleLabel) {
		t.Errorf("grids page: a grid without an account does not fall back to its worker_id: %s", row)
	}
	if idx := admin.get("/admin/"); strings.Contains(idx.body, "更换现有网格的网格员") || strings.Contains(idx.body, `id="missing-h"`) {
		t.Errorf("the admin index still lists moving grid workers as missing")
	}
	list := admin.get("/admin/users")
	link := fmt.Sprintf(`href="/admin/users?move=%d#move-user"`, worker.ID)
	if list.status != 200 || !strings.Contains(list.body, link) || strings.Contains(list.body, `id="move-user"`) {
		t.Fatalf("the accounts page lacks the move link of wgy001 (%d)", list.status)
	}
	// The move form lists only what fits the role: grids for a grid
	// worker, no department; dispatchable units for a unit account.
	p := admin.get(fmt.Sprintf("/admin/users?move=%d", worker.ID))
	checkHTML(t, "move form", p)
	form := between(p.body, fmt.Sprintf(`id="form-move-%d"`, worker.ID), "</form>")
	if p.status != 200 || !strings.Contains(form, fmt.Sprintf(`action="/admin/users/%d/org"`, worker.ID)) && !strings.Contains(p.body, fmt.Sprintf(`action="/admin/users/%d/org"`, worker.ID)) ||
		!strings.Contains(form, fmt.Sprintf(`<option value="%d">`, newGrid)) || !strings.Contains(form, fmt.Sprintf(`<option value="%d" selected>`, oldGrid)) ||
		strings.Contains(form, fmt.Sprintf(`value="%d"`, chengguan.OrgID)) || !strings.Contains(p.body, "调动") {
		t.Errorf("grid worker's move form: %d\n%s", p.status, form)
	}
	p = admin.get(fmt.Sprintf("/admin/users?move=%d", chengguan.ID))
	form = between(p.body, fmt.Sprintf(`id="form-move-%d"`, chengguan.ID), "</form>")
	if !strings.Contains(form, fmt.Sprintf(`<option value="%d" selected>`, chengguan.OrgID)) || strings.Contains(form, fmt.Sprintf(`value="%d"`, newGrid)) ||
		strings.Contains(form, fmt.Sprintf(`value="%d"`, oldGrid)) {
		t.Errorf("unit account's move form offers a grid or lacks its department")
	}

	// Refused: the wrong kind of org, an unknown org, none. 422 on the
	// org field in Chinese and in English, nothing written.
	before := snapshot()
	post := func(w *webClient, id int64, org string) page {
		return w.post(fmt.Sprintf("/admin/users/%d/org", id), url.Values{"csrf": {w.csrf("/admin/users")}, "org": {org}})
	}
	for _, tc := range []struct {
		name string
		user int64
		org  string
		zh   string
	}{
		{"grid worker to a department", worker.ID, fmt.Sprint(chengguan.OrgID), "账号不能调至此类单位"},
		{"grid worker to the district", worker.ID, fmt.Sprint(ref.Root.ID), "账号不能调至此类单位"},
		{"unit account to a grid", chengguan.ID, fmt.Sprint(newGrid), "账号不能调至此类单位"},
		{"unknown org", worker.ID, "99999999", "未知的单位"},
		{"no org", worker.ID, "", "必填"},
	} {
		res := post(admin, tc.user, tc.org)
		checkHTML(t, tc.name, res)
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="move-org-error">`+tc.zh) ||
			!strings.Contains(res.body, fmt.Sprintf(`id="form-move-%d"`, tc.user)) || !strings.Contains(res.body, "账号未调动") {
			t.Errorf("%s: %d\n%s", tc.name, res.status, between(res.body, `id="move-user"`, "</section>"))
		}
	}
	admin.get("/admin/users?lang=en")
	for _, tc := range []struct {
		name string
		user int64
		org  string
	}{
		{"en: grid worker to a department", worker.ID, fmt.Sprint(chengguan.OrgID)},
		{"en: unit account to a grid", chengguan.ID, fmt.Sprint(newGrid)},
	} {
		res := post(admin, tc.user, tc.org)
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="move-org-error">An account cannot be moved to this kind of unit`) ||
			!strings.Contains(res.body, "The account was not moved") || strings.Contains(res.body, "账号不能调至") {
			t.Errorf("%s: %d", tc.name, res.status)
		}
	}
	if p := admin.get(fmt.Sprintf("/admin/users?move=%d", worker.ID)); !strings.Contains(p.body, "Move account") || strings.Contains(p.body, "确认调动") {
		t.Errorf("English move form")
	}
	admin.get("/admin/users?lang=zh-CN")
	if after := snapshot(); after != before {
		t.Errorf("a refused move wrote:\n%s\n%s", before, after)
	}

	// Other roles: 403, nothing written; the service refuses them too.
	for _, user := range []string{"operator1", "chengguan", "wgy001"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		res := w.post(fmt.Sprintf("/admin/users/%d/org", worker.ID), url.Values{"csrf": {w.csrf("/work/inbox")}, "org": {fmt.Sprint(newGrid)}})
		if res.status != http.StatusForbidden {
			t.Errorf("%s: move %d", user, res.status)
		}
		if p := w.get(fmt.Sprintf("/admin/users?move=%d", worker.ID)); p.status != http.StatusForbidden {
			t.Errorf("%s: move form %d", user, p.status)
		}
	}
	if _, err := h.app.Service.AdminSetUserOrg(ctx, mustUser(t, h, "operator1"), worker.ID, newGrid); err == nil {
		t.Errorf("the service moves for an operator")
	}
	if after := snapshot(); after != before {
		t.Errorf("another role's move wrote")
	}
	if res := post(admin, 99999, fmt.Sprint(newGrid)); res.status != http.StatusNotFound {
		t.Errorf("move an unknown account: %d", res.status)
	}

	// The move.
	res := post(admin, worker.ID, fmt.Sprint(newGrid))
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || loc != fmt.Sprintf("/admin/users?moved=%d", worker.ID) {
		t.Fatalf("move: %d %q\n%s", res.status, loc, res.body)
	}
	if got := h.sqlCount(`SELECT org_id FROM users WHERE id = ?`, worker.ID); int64(got) != newGrid {
		t.Fatalf("org_id after the move: %d, want %d", got, newGrid)
	}
	p = admin.get(loc)
	checkHTML(t, "after the move", p)
	done := between(p.body, `id="users-done"`, "</p>")
	if p.status != 200 || !strings.Contains(done, "已将 "+worker.DisplayName+"（wgy001）调至") || !strings.Contains(done, newName) {
		t.Errorf("no confirmation naming the account and its new grid: %q", done)
	}
	if row := between(p.body, fmt.Sprintf(`id="user-%d"`, worker.ID), "</tr>"); !strings.Contains(row, newName) {
		t.Errorf("the list does not show the new grid: %s", row)
	}
	wfWait(t, "the move's audit entry", func() bool {
		return h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE username = 'admin' AND detail = ?`, fmt.Sprintf("user org id=%d org=%d username=wgy001", worker.ID, newGrid)) == 1
	})
	// Moving to the grid it already has is a quiet success.
	if res := post(admin, worker.ID, fmt.Sprint(newGrid)); res.status != http.StatusSeeOther {
		t.Errorf("move to the same grid: %d", res.status)
	}

	// The worker's next request, same session, is scoped to the new grid.
	sees("after the move", false, true)
	if p := ww.get("/work/grid"); !strings.Contains(p.body, newName) {
		t.Errorf("/work/grid is not the new grid %s", newName)
	}

	// The grids page puts the worker on the new grid, not the old.
	g := admin.get("/admin/grids")
	label := worker.DisplayName + " (wgy001)"
	if row := between(g.body, fmt.Sprintf(`id="grid-%d"`, newGrid), "</tr>"); !strings.Contains(row, label) || strings.Contains(row, staleLabel) {
		t.Errorf("grids page: new grid's row lacks the worker: %s", row)
	}
	if row := between(g.body, fmt.Sprintf(`id="grid-%d"`, oldGrid), "</tr>"); strings.Contains(row, "wgy001") {
		t.Errorf("grids page: old grid's row still names the worker: %s", row)
	}
}
