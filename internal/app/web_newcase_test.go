package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// newCaseFields is a valid case-entry form of a city case: category,
// description, a point; edit changes it.
func newCaseFields(csrf, idem string, cat int64, lat, lng float64, edit func(url.Values)) url.Values {
	f := url.Values{"csrf": {csrf}, "idem": {idem}, "type": {"city_case"}, "category": {strconv.FormatInt(cat, 10)},
		"description": {"来电反映：小区门口路灯一周不亮"}, "lat": {strconv.FormatFloat(lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(lng, 'f', 6, 64)},
		"coord": {"wgs84"}, "address": {"春园路 12 号门口"}, "channel": {"hotline"}, "name": {"欧阳来电"}, "phone": {"13987650001"}}
	if edit != nil {
		edit(f)
	}
	return f
}

// caseIDFrom reads the case id from the case page a create redirects to.
func caseIDFrom(t *testing.T, p page) int64 {
	t.Helper()
	loc := p.header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/work/cases/"), 10, 64)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/work/cases/") || err != nil {
		t.Fatalf("create: %d %q %s", p.status, loc, between(p.body, `id="page-error"`, "</form>"))
	}
	return id
}

// TestWebNewCase works the staff's case-entry form (登记案件) as a browser
// would: an operator files a hotline call that is routed as the API
// routes it, with the caller sealed at rest and masked on screen; a form
// missing its required parts comes back with the errors on their fields
// in Chinese or English and files nothing; a double submit files one case;
// a hotline order takes its typed fields; the public, a citizen account
// and a type the role may not create are refused; a grid worker files a
// patrol finding with a photo.
func TestWebNewCase(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	ref := h.app.Service.Ref()
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM cases`) }
	gw := mustUser(t, h, "wgy001")
	lat, lng := gridCentre(t, ref.Grids[gw.OrgID].Geometry)
	cat := pickCategory(t, h, true)

	op := newWebClient(t, h.srv.URL, nil)
	op.login("operator1")
	inbox := op.get("/work/inbox")
	if !strings.Contains(inbox.body, `href="/work/new"`) || !strings.Contains(inbox.body, "登记案件") {
		t.Fatalf("the operator's inbox does not link the case-entry form")
	}
	form := op.get("/work/new")
	checkHTML(t, "new case form", form)
	if form.status != 200 || !strings.Contains(form.body, `action="/work/new"`) || !strings.Contains(form.body, `<option value="hotline" selected>`) {
		t.Fatalf("form: %d, or the operator's channel is not the hotline", form.status)
	}
	for _, want := range []string{`id="type-city_case"`, `id="type-hotline_order"`, `id="category-search"`, `id="lat"`, `id="locate"`, `name="photos"`, `id="anonymous"`,
		fmt.Sprintf(`value="%d"`, cat.ID)} {
		if !strings.Contains(form.body, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	for _, bad := range []string{`id="type-clue"`, `id="type-referral"`, `id="type-project"`} {
		if strings.Contains(form.body, bad) {
			t.Errorf("the operator is offered %s", bad)
		}
	}
	// Staff pick from every leaf category of the type, public or not: a
	// rectification item takes the (non-public) domains, a city case not.
	var domain model.Category
	for _, c := range ref.CatList {
		if !c.Public && c.CaseType == "rectification" && ref.IsLeaf(c.ID) && c.ParentID != 0 {
			domain = c
			break
		}
	}
	if domain.ID == 0 {
		t.Fatal("no non-public leaf category in the demo")
	}
	chip := fmt.Sprintf(`name="category" value="%d"`, domain.ID)
	if strings.Contains(form.body, chip) || strings.Contains(op.get("/report").body, chip) {
		t.Errorf("the city-case forms offer the domain %s", domain.Code)
	}
	ld := newWebClient(t, h.srv.URL, nil)
	ld.login("leader")
	if p := ld.get("/work/new?type=rectification"); !strings.Contains(p.body, chip) || !strings.Contains(p.body, `name="f.problem_source"`) {
		t.Errorf("the leader's rectification form lacks the domain %s or its source field", domain.Code)
	}

	// Missing description, category and place: 422, errors on their fields, nothing filed.
	before := count()
	csrf := op.csrf("/work/new")
	bad := op.postMultipart("/work/new", newCaseFields(csrf, strings.Repeat("a", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Del("category")
		f.Set("description", "  ")
		f.Del("lat")
		f.Del("lng")
	}), nil)
	checkHTML(t, "new case with errors", bad)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "提交的内容有误") {
		t.Fatalf("invalid form: %d", bad.status)
	}
	for _, f := range []string{"category", "description", "location"} {
		if !strings.Contains(bad.body, `<p class="field-error" id="`+f+`-error">必填</p>`) {
			t.Errorf("no Chinese error on %s", f)
		}
	}
	// What was typed comes back.
	if !strings.Contains(bad.body, "13987650001") || !strings.Contains(bad.body, "春园路 12 号门口") {
		t.Errorf("the form lost what was typed")
	}
	op.get("/work/new?lang=en")
	badEn := op.postMultipart("/work/new", newCaseFields(op.csrf("/work/new"), strings.Repeat("b", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Del("category")
		f.Set("description", "")
		f.Set("lat", "north")
	}), nil)
	if badEn.status != http.StatusUnprocessableEntity || !strings.Contains(badEn.body, `<html lang="en"`) || !strings.Contains(badEn.body, "Some fields are invalid") {
		t.Fatalf("invalid form in English: %d", badEn.status)
	}
	for f, msg := range map[string]string{"category": "Required", "description": "Required", "location": "Wrong field type"} {
		if !strings.Contains(badEn.body, `id="`+f+`-error">`) || !strings.Contains(between(badEn.body, `id="`+f+`-error">`, "</p>"), msg) {
			t.Errorf("English error on %s: %q", f, between(badEn.body, `id="`+f+`-error">`, "</p>"))
		}
	}
	op.get("/work/new?lang=zh-CN")
	if n := count(); n != before {
		t.Fatalf("invalid forms filed %d cases", n-before)
	}

	// A valid hotline call, submitted twice with the same key: one case.
	csrf = op.csrf("/work/new")
	fields := newCaseFields(csrf, strings.Repeat("c", 32), cat.ID, lat, lng, nil)
	first := op.postMultipart("/work/new", fields, nil)
	id := caseIDFrom(t, first)
	second := op.postMultipart("/work/new", fields, nil)
	if caseIDFrom(t, second) != id {
		t.Fatalf("a double submit filed two cases: %s and %s", first.header.Get("Location"), second.header.Get("Location"))
	}
	if n := count(); n != before+1 {
		t.Fatalf("the double submit filed %d cases", n-before)
	}
	c, err := h.app.Store.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	opUser := mustUser(t, h, "operator1")
	if c.Type != "city_case" || c.Channel != model.ChannelHotline || c.CategoryID != cat.ID || c.CreatedBy != opUser.ID || c.Reporter.Phone != "13987650001" ||
		c.Address != "春园路 12 号门口" || c.GridID != gw.OrgID || c.UnitID == 0 || c.Status != model.StateReported {
		t.Fatalf("filed case %+v", c)
	}
	// Routed as the API routes the same category at the same place.
	api := newCase(t, h, h.login("operator2"), cat.Code, lat, lng)
	if unitID(api) != c.UnitID {
		t.Errorf("the form routed to unit %d, the API to %d", c.UnitID, unitID(api))
	}
	// The caller is sealed at rest, masked on the operator's case page.
	if name, phone := rawReporter(t, h.dir, id); !strings.HasPrefix(name, "pii1:") || !strings.HasPrefix(phone, "pii1:") || strings.Contains(name+phone, "0001") {
		t.Errorf("reporter stored as %q %q", name, phone)
	}
	cp := op.get(fmt.Sprintf("/work/cases/%d", id))
	if cp.status != 200 || !strings.Contains(cp.body, "139****0001") || !strings.Contains(cp.body, "欧***") || strings.Contains(cp.body, "13987650001") || strings.Contains(cp.body, "欧阳来电") {
		t.Errorf("case page: %d, reporter not masked", cp.status)
	}
	if !strings.Contains(cp.body, "12345 热线") {
		t.Errorf("the case page does not show the hotline channel")
	}

	// An anonymous call keeps no name or phone.
	anonID := caseIDFrom(t, op.postMultipart("/work/new", newCaseFields(op.csrf("/work/new"), strings.Repeat("d", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Set("anonymous", "1")
	}), nil))
	if ac, _ := h.app.Store.Case(ctx, anonID); !ac.Anonymous || ac.Reporter != (model.Reporter{}) {
		t.Errorf("anonymous call stored %+v", ac.Reporter)
	}

	// A hotline order: its required field comes back when missing, its
	// default (urgency) is preselected, and a complete order is filed.
	ho := op.get("/work/new?type=hotline_order")
	if !strings.Contains(ho.body, `name="f.appeal_kind"`) || !strings.Contains(ho.body, `<option value="general" selected>`) || strings.Contains(ho.body, `name="f.resolution"`) {
		t.Errorf("hotline order form: the typed fields are not right")
	}
	hoFields := url.Values{"csrf": {op.csrf("/work/new")}, "idem": {strings.Repeat("e", 32)}, "type": {"hotline_order"},
		"description": {"咨询社保卡补办流程"}, "channel": {"hotline"}, "f.urgency": {"general"}, "coord": {"wgs84"}}
	before = count()
	res := op.postMultipart("/work/new", hoFields, nil)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="f-appeal_kind-error">必填`) {
		t.Fatalf("hotline order without its kind: %d", res.status)
	}
	if count() != before {
		t.Fatalf("an invalid hotline order was filed")
	}
	hoFields.Set("f.appeal_kind", "consult")
	hoID := caseIDFrom(t, op.postMultipart("/work/new", hoFields, nil))
	if hc, _ := h.app.Store.Case(ctx, hoID); hc.Type != "hotline_order" || hc.Fields["appeal_kind"] != "consult" || hc.Fields["urgency"] != "general" || hc.Channel != model.ChannelHotline {
		t.Errorf("hotline order stored %+v", hc)
	}

	// Refused: the public, a citizen account, a type the role may not create.
	before = count()
	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/work/new"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/work/new") {
		t.Errorf("anonymous GET: %d %s", p.status, p.header.Get("Location"))
	}
	if p := anon.postMultipart("/work/new", newCaseFields(anon.csrf("/login"), strings.Repeat("f", 32), cat.ID, lat, lng, nil), nil); p.status != http.StatusSeeOther ||
		!strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("anonymous POST: %d %s", p.status, p.header.Get("Location"))
	}
	cit := newWebClient(t, h.srv.URL, nil)
	cit.login("citizen")
	if p := cit.get("/work/new"); p.status != http.StatusForbidden {
		t.Errorf("a citizen account opens the form: %d", p.status)
	}
	if p := cit.postMultipart("/work/new", newCaseFields(cit.csrf("/login"), strings.Repeat("f", 32), cat.ID, lat, lng, nil), nil); p.status != http.StatusForbidden {
		t.Errorf("a citizen account files through the form: %d", p.status)
	}
	clue := op.postMultipart("/work/new", newCaseFields(op.csrf("/work/new"), strings.Repeat("g", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Set("type", "clue")
		f.Del("category")
		f.Del("lat")
		f.Del("lng")
		f.Set("f.source", "petition")
		f.Set("f.subject_name", "某干部")
	}), nil)
	if clue.status != http.StatusForbidden {
		t.Errorf("the operator files a discipline clue: %d", clue.status)
	}
	if n := count(); n != before {
		t.Fatalf("refused requests filed %d cases", n-before)
	}

	// A handling unit files a case that is routed to another unit: it may
	// not open it, so it is told the case number on the form instead.
	var other string
	for _, u := range mustUsers(t, h) {
		if u.Role == model.RoleUnit && u.OrgID != c.UnitID {
			other = u.Username
			break
		}
	}
	uc := newWebClient(t, h.srv.URL, nil)
	uc.login(other)
	before = count()
	res = uc.postMultipart("/work/new", newCaseFields(uc.csrf("/work/new"), strings.Repeat("k", 32), cat.ID, lat, lng, nil), nil)
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/work/new?type=city_case&filed=") || count() != before+1 {
		t.Fatalf("unit files another unit's case: %d %q", res.status, loc)
	} else if p := uc.get(loc); !strings.Contains(p.body, "已登记并转交责任单位") || !strings.Contains(p.body, "#"+strings.TrimPrefix(loc, "/work/new?type=city_case&filed=")) {
		t.Errorf("the unit is not told the case was filed")
	}

	// The grid worker files a patrol finding with a photo from the phone.
	gwc := newWebClient(t, h.srv.URL, nil)
	gwc.login("wgy001")
	if !strings.Contains(gwc.get("/work/inbox").body, `id="new-case"`) {
		t.Errorf("the grid worker's inbox does not link the form")
	}
	gform := gwc.get("/work/new")
	if !strings.Contains(gform.body, `<option value="patrol" selected>`) {
		t.Errorf("the grid worker's channel is not patrol")
	}
	photo := pngBytes(t)
	attBefore := h.sqlCount(`SELECT COUNT(*) FROM attachments`)
	pid := caseIDFrom(t, gwc.postMultipart("/work/new", newCaseFields(gwc.csrf("/work/new"), strings.Repeat("h", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Set("channel", "patrol")
		f.Set("description", "巡查发现井盖破损")
		f.Del("name")
		f.Del("phone")
	}), map[string][]byte{"photos": photo}))
	pc, tl, err := h.app.Service.Case(ctx, gw, pid)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Channel != model.ChannelPatrol || pc.GridID != gw.OrgID || pc.CreatedBy != gw.ID {
		t.Errorf("patrol case %+v", pc)
	}
	if len(tl) != 2 || tl[1].Action != service.EventCitizenPhotos || len(tl[1].Attachments) != 1 || tl[1].ActorID != gw.ID || tl[1].Role != model.RoleGridWorker {
		t.Fatalf("patrol photo on the timeline: %+v", tl)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM attachments`); n != attBefore+1 {
		t.Errorf("%d attachments stored", n-attBefore)
	}
	if p := gwc.get(fmt.Sprintf("/work/cases/%d/files/%s", pid, tl[1].Attachments[0])); p.status != 200 || p.body != string(photo) {
		t.Errorf("the grid worker cannot open the photo: %d", p.status)
	}
}
