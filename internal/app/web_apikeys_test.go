package app_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// apikeyForm is a valid issue form; edit changes it.
func apikeyForm(csrf string, edit func(url.Values)) url.Values {
	f := url.Values{"csrf": {csrf}, "name": {"市民随手拍 App（网页签发）"}, "jurisdiction": {""}, "rate": {"30"}}
	if edit != nil {
		edit(f)
	}
	return f
}

// apikeyRows splits the keys table into its rows by id.
func apikeyRows(body string) map[int64]string {
	out := map[int64]string{}
	re := regexp.MustCompile(`(?s)<tr id="apikey-(\d+)".*?</tr>`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out[atoi(m[1])] = m[0]
	}
	return out
}

// TestWebAPIKeys works the administrator's page of API keys (接口密钥) as
// a browser would: issue a key through the form and use it against
// Open311 at once; the key is shown once and stored nowhere; invalid
// input comes back on its fields and writes nothing; revoke through the
// form refuses the key at once; both are on the audit chain with the
// administrator's name; only administrators may see or post; English.
func TestWebAPIKeys(t *testing.T) {
	h := newHarness(t, t.TempDir())
	loadSchemas(t)
	ctx := context.Background()
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM api_keys`) }
	lat, lng, _ := demoPoint(t, h, 23)
	submit := func(key, desc string) o311 {
		t.Helper()
		return h.open311(t, "POST", "requests.json", "created", form("api_key", key, "service_code", "E0102",
			"lat", fmt.Sprint(lat), "long", fmt.Sprint(lng), "description", desc), formType)
	}

	// Anonymous: to the login, and back here afterwards.
	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/apikeys"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/apikeys") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	idx := admin.get("/admin/")
	if !strings.Contains(idx.body, `<a href="/admin/apikeys" id="admin-apikeys">接口密钥</a>`) {
		t.Errorf("the admin index does not link the API-key page")
	}
	if strings.Contains(idx.body, "接口密钥（API key）的签发与吊销") {
		t.Errorf("the admin index still lists API keys as missing")
	}
	p := admin.get("/admin/apikeys")
	checkHTML(t, "API-key page", p)
	if p.status != 200 || !strings.Contains(p.body, `action="/admin/apikeys"`) || !strings.Contains(p.body, `<option value="" selected>全部辖区</option>`) {
		t.Fatalf("API-key page: %d", p.status)
	}
	before := count()

	// Issue through the form: the key is on the answer, once, with how to
	// use it; no redirect carries it.
	res := admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), nil))
	checkHTML(t, "key issued", res)
	m := newKeyRe.FindStringSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("issue: %d %s", res.status, between(res.body, `id="page-error"`, "</div>"))
	}
	key := m[1]
	if !strings.HasPrefix(key, service.APIKeyPrefix) || len(key) < 30 {
		t.Fatalf("key %q", key)
	}
	if loc := res.header.Get("Location"); loc != "" {
		t.Errorf("the issue answer redirects to %q", loc)
	}
	if n := strings.Count(res.body, key); n != 1 {
		t.Errorf("the key is on the answer %d times, want once", n)
	}
	for _, want := range []string{"已为“市民随手拍 App（网页签发）”签发接口密钥", "请立即复制，此密钥只显示一次", "POST /open311/v2/requests.json", "api_key=&lt;密钥&gt;"} {
		if !strings.Contains(between(res.body, `id="new-key-box"`, "</section>"), want) {
			t.Errorf("key box lacks %q", want)
		}
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the key page may be cached: %q", res.header.Get("Cache-Control"))
	}
	// The form is blank again, not the key just issued.
	if f := between(res.body, `id="apikey-form"`, "</form>"); !strings.Contains(f, `name="name" value=""`) || !strings.Contains(f, `name="rate" value=""`) {
		t.Errorf("the form still holds the issued key")
	}
	if count() != before+1 {
		t.Fatalf("issue made %d keys", count()-before)
	}
	// Stored as typed, the hash only.
	keys, err := h.app.Service.AdminAPIKeys(ctx, mustUser(t, h, "admin"))
	if err != nil {
		t.Fatal(err)
	}
	var k = keys[0]
	for _, x := range keys {
		if x.ID > k.ID {
			k = x
		}
	}
	if k.Name != "市民随手拍 App（网页签发）" || k.Jurisdiction != "" || k.RatePerMinute != 30 || k.Hash != "" || !strings.HasPrefix(key, k.Prefix) || !k.RevokedAt.IsZero() {
		t.Fatalf("stored key %+v", k)
	}

	// The key works at once against Open311.
	if r := submit(key, "路灯不亮，网页签发的密钥"); r.status != 201 {
		t.Fatalf("Open311 post with the new key: %d %s", r.status, r.raw)
	}

	// The list: the row with the prefix and limits; the key itself is
	// nowhere on it, in either language.
	p = admin.get("/admin/apikeys")
	checkHTML(t, "API-key list", p)
	row := apikeyRows(p.body)[k.ID]
	for _, want := range []string{"<th scope=\"row\">市民随手拍 App（网页签发）</th>", "<code class=\"key-prefix\">" + k.Prefix + "…</code>", "全部辖区", "30 次/分钟", "有效",
		fmt.Sprintf(`action="/admin/apikeys/%d/revoke"`, k.ID), `data-state="active"`} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %q:\n%s", want, row)
		}
	}
	if strings.Contains(p.body, key) || strings.Contains(p.body, `id="new-key"`) {
		t.Errorf("the list page shows the key again")
	}
	if strings.Contains(admin.get("/admin/apikeys?lang=en").body, key) {
		t.Errorf("the English list shows the key")
	}
	admin.get("/admin/?lang=zh-CN")
	// Stored nowhere: not in the database, its log or the audit chain
	// (which names the admin and the client).
	wfWait(t, "the issue's audit entry", func() bool {
		return h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /admin/apikeys' AND username = 'admin' AND role = 'admin' AND detail LIKE ?`,
			fmt.Sprintf("api key create id=%d name=市民随手拍 App（网页签发） prefix=%s%%", k.ID, k.Prefix)) == 1
	})
	filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(key)) {
			t.Errorf("the key is stored in %s", path)
		}
		return nil
	})

	// A key restricted to a street, through the form's list.
	ref := h.app.Service.Ref()
	var street model.OrgUnit
	for _, o := range ref.OrgList() {
		if o.ParentID == ref.Root.ID && (o.Kind == model.OrgStreet || o.Kind == model.OrgTownship) {
			street = o
			break
		}
	}
	streetJID := service.JurisdictionID(ref.Root, street)
	if !strings.Contains(p.body, `<option value="`+streetJID+`">`+street.Name+` (`+streetJID+`)</option>`) {
		t.Errorf("the form does not offer the street %s", streetJID)
	}
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) {
		f.Set("name", "街道网格通")
		f.Set("jurisdiction", streetJID)
		f.Set("rate", "")
	}))
	m = newKeyRe.FindStringSubmatch(res.body)
	if res.status != 200 || m == nil {
		t.Fatalf("issue a street key: %d", res.status)
	}
	key2 := m[1]
	var k2 = k
	keys, _ = h.app.Service.AdminAPIKeys(ctx, mustUser(t, h, "admin"))
	for _, x := range keys {
		if x.Name == "街道网格通" {
			k2 = x
		}
	}
	if k2.ID == k.ID || k2.Jurisdiction != streetJID || k2.RatePerMinute != 0 || k2.Scope != store.KeyScopePublic {
		t.Fatalf("street key %+v", k2)
	}
	// The scope: public unless the administrator chooses staff; an
	// unknown one is refused on its field and nothing is issued.
	if k.Scope != store.KeyScopePublic || !strings.Contains(row, "<td data-scope=\"public\">公开</td>") {
		t.Errorf("the first key's scope %q, row %s", k.Scope, row)
	}
	n := count()
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) { f.Set("name", "内部系统"); f.Set("scope", "root") }))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "未知的读取范围") || count() != n {
		t.Errorf("unknown scope: %d, %d keys made", res.status, count()-n)
	}
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) { f.Set("name", "内部系统"); f.Set("scope", "staff") }))
	if res.status != 200 || newKeyRe.FindStringSubmatch(res.body) == nil {
		t.Fatalf("issue a staff key: %d", res.status)
	}
	keys, _ = h.app.Service.AdminAPIKeys(ctx, mustUser(t, h, "admin"))
	if i := slices.IndexFunc(keys, func(x store.APIKey) bool { return x.Name == "内部系统" }); i < 0 || keys[i].Scope != store.KeyScopeStaff {
		t.Errorf("staff key stored as %+v", keys)
	}
	row = apikeyRows(admin.get("/admin/apikeys").body)[k2.ID]
	if !strings.Contains(row, street.Name+" <code>"+streetJID+"</code>") || !strings.Contains(row, ">默认<") {
		t.Errorf("street key row:\n%s", row)
	}

	// Invalid input: the errors next to their fields, what was typed kept,
	// nothing written.
	before = count()
	for _, tc := range []struct {
		name  string
		edit  func(url.Values)
		field string
		msg   string
	}{
		{"empty name", func(f url.Values) { f.Set("name", "  ") }, "name", "必填"},
		{"name too long", func(f url.Values) { f.Set("name", strings.Repeat("长", 101)) }, "name", "不能超过 100 个字"},
		{"rate not a number", func(f url.Values) { f.Set("rate", "fast") }, "rate", "须为整数"},
		{"rate a fraction", func(f url.Values) { f.Set("rate", "2.5") }, "rate", "须为整数"},
		{"rate negative", func(f url.Values) { f.Set("rate", "-1") }, "rate", "须在 0 到 100000 之间"},
		{"rate too high", func(f url.Values) { f.Set("rate", "100001") }, "rate", "须在 0 到 100000 之间"},
		{"rate overflows", func(f url.Values) { f.Set("rate", "99999999999999999999") }, "rate", "须在 0 到 100000 之间"},
		{"unknown jurisdiction", func(f url.Values) { f.Set("jurisdiction", "999999") }, "jurisdiction", "未知辖区，请从列表中选择"},
	} {
		form := apikeyForm(admin.csrf("/admin/apikeys"), tc.edit)
		res := admin.post("/admin/apikeys", form)
		checkHTML(t, tc.name, res)
		want := fmt.Sprintf(`id="%s-error">%s`, tc.field, html.EscapeString(tc.msg))
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, want) || !strings.Contains(res.body, "密钥未签发，请检查标出的字段。") {
			t.Errorf("%s: %d, want %q in\n%s", tc.name, res.status, want, between(res.body, `id="apikey-form"`, "</form>"))
		}
		if newKeyRe.MatchString(res.body) {
			t.Errorf("%s: a key is shown", tc.name)
		}
		formHTML := between(res.body, `id="apikey-form"`, "</form>")
		for _, field := range []string{"name", "rate"} {
			if v := strings.TrimSpace(form.Get(field)); v != "" && !strings.Contains(formHTML, `name="`+field+`" value="`+html.EscapeString(v)+`"`) {
				t.Errorf("%s: %s %q not kept", tc.name, field, v)
			}
		}
		if n := count(); n != before {
			t.Fatalf("%s: wrote %d keys", tc.name, n-before)
		}
	}
	// Several errors at once, all shown.
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) {
		f.Set("name", "")
		f.Set("rate", "x")
	}))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="name-error">必填`) || !strings.Contains(res.body, `id="rate-error">须为整数`) {
		t.Errorf("two errors: %d", res.status)
	}
	if n := count(); n != before {
		t.Fatalf("invalid input wrote %d keys", n-before)
	}

	// An address claiming a revocation that did not happen shows nothing.
	if p := admin.get(fmt.Sprintf("/admin/apikeys?revoked=%d", k2.ID)); strings.Contains(p.body, `id="apikeys-revoked"`) {
		t.Errorf("a made-up revocation message is shown")
	}
	// No token, no revocation.
	if res := admin.post(fmt.Sprintf("/admin/apikeys/%d/revoke", k.ID), url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("revoke without a token: %d", res.status)
	}
	if r := submit(key, "路灯还是不亮"); r.status != 201 {
		t.Fatalf("the key after a refused revocation: %d %s", r.status, r.raw)
	}

	// Revoke through the row's form: the key is refused at once.
	res = admin.post(fmt.Sprintf("/admin/apikeys/%d/revoke", k.ID), url.Values{"csrf": {admin.csrf("/admin/apikeys")}})
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || loc != fmt.Sprintf("/admin/apikeys?revoked=%d", k.ID) {
		t.Fatalf("revoke: %d %s", res.status, loc)
	}
	if r := submit(key, "吊销之后"); r.status != http.StatusForbidden {
		t.Fatalf("the revoked key: %d %s", r.status, r.raw)
	}
	if r := h.open311(t, "GET", "requests.json?api_key="+key2, "requests", nil, ""); r.status != 200 {
		t.Fatalf("the other key after the revocation: %d %s", r.status, r.raw)
	}
	p = admin.get(loc)
	if !strings.Contains(between(p.body, `id="apikeys-revoked"`, "</div>"), "“市民随手拍 App（网页签发）”的接口密钥（"+k.Prefix+"…）已吊销") {
		t.Errorf("no revocation message")
	}
	rows := apikeyRows(p.body)
	if row := rows[k.ID]; !strings.Contains(row, `data-state="revoked"`) || !strings.Contains(row, "已吊销") || strings.Contains(row, "<form") {
		t.Errorf("revoked row:\n%s", row)
	}
	if row := rows[k2.ID]; !strings.Contains(row, `data-state="active"`) || !strings.Contains(row, "<form") {
		t.Errorf("the other row:\n%s", row)
	}
	wfWait(t, "the revocation's audit entry", func() bool {
		return h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /admin/apikeys/{id}/revoke' AND username = 'admin' AND role = 'admin' AND result = '303' AND detail = ?`,
			fmt.Sprintf("api key revoke id=%d name=市民随手拍 App（网页签发） prefix=%s", k.ID, k.Prefix)) == 1
	})
	revokedAt := h.sqlCount(`SELECT revoked_at FROM api_keys WHERE id = ?`, k.ID)
	// Again: still revoked, the first time kept.
	time.Sleep(5 * time.Millisecond)
	if res := admin.post(fmt.Sprintf("/admin/apikeys/%d/revoke", k.ID), url.Values{"csrf": {admin.csrf("/admin/apikeys")}}); res.status != http.StatusSeeOther {
		t.Errorf("revoke again: %d", res.status)
	}
	if at := h.sqlCount(`SELECT revoked_at FROM api_keys WHERE id = ?`, k.ID); at != revokedAt || at == 0 {
		t.Errorf("revoked_at %d, then %d", revokedAt, at)
	}
	if res := admin.post("/admin/apikeys/99999/revoke", url.Values{"csrf": {admin.csrf("/admin/apikeys")}}); res.status != http.StatusNotFound {
		t.Errorf("revoke an unknown key: %d", res.status)
	}
	if strings.Contains(loc, key) || strings.Contains(admin.get(loc).body, key) {
		t.Errorf("the key is in the revocation's address or page")
	}

	// Other roles: 403 on the page and on both forms, nothing written.
	before = count()
	for _, user := range []string{"operator1", "supervisor", "chengguan"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/apikeys"); p.status != http.StatusForbidden || strings.Contains(p.body, "街道网格通") {
			t.Errorf("%s: GET %d", user, p.status)
		}
		csrf := w.csrf("/work/inbox")
		if res := w.post("/admin/apikeys", apikeyForm(csrf, func(f url.Values) { f.Set("name", "by-"+user) })); res.status != http.StatusForbidden || newKeyRe.MatchString(res.body) {
			t.Errorf("%s: issue %d", user, res.status)
		}
		if res := w.post(fmt.Sprintf("/admin/apikeys/%d/revoke", k2.ID), url.Values{"csrf": {csrf}}); res.status != http.StatusForbidden {
			t.Errorf("%s: revoke %d", user, res.status)
		}
		if strings.Contains(w.get("/admin/").body, `href="/admin/apikeys"`) {
			t.Errorf("%s sees the admin index", user)
		}
	}
	if n := count(); n != before {
		t.Errorf("other roles issued %d keys", n-before)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM api_keys WHERE id = ? AND revoked_at IS NULL`, k2.ID); n != 1 {
		t.Errorf("another role revoked a key")
	}
	op := mustUser(t, h, "operator1")
	if _, err := h.app.Service.AdminRevokeAPIKey(ctx, op, k2.ID); err == nil {
		t.Errorf("the service revokes for an operator")
	}
	if _, _, err := h.app.Service.AdminCreateAPIKey(ctx, op, service.NewAPIKey{Name: "x"}); err == nil {
		t.Errorf("the service issues for an operator")
	}
	if _, err := h.app.Service.AdminAPIKeys(ctx, op); err == nil {
		t.Errorf("the service lists for an operator")
	}

	// English: the labels, a field error and the key box.
	p = admin.get("/admin/apikeys?lang=en")
	if p.header.Get("Content-Language") != "en" {
		t.Errorf("Content-Language %q", p.header.Get("Content-Language"))
	}
	for _, want := range []string{"API keys", "Key prefix", "Rate limit", "Every jurisdiction", "Revoke key…", "Issue an API key", "Revoked", "Default"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	for _, zh := range []string{"密钥前缀", "吊销密钥", "签发接口密钥", "全部辖区"} {
		if strings.Contains(p.body, zh) {
			t.Errorf("English page has %q", zh)
		}
	}
	before = count()
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) { f.Set("rate", "lots") }))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="rate-error">Must be a whole number`) ||
		!strings.Contains(res.body, "The key was not issued: check the marked fields.") {
		t.Errorf("English field error: %d", res.status)
	}
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) { f.Set("jurisdiction", "nowhere") }))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="jurisdiction-error">Unknown jurisdiction: choose one from the list`) {
		t.Errorf("English jurisdiction error: %d", res.status)
	}
	if n := count(); n != before {
		t.Errorf("English invalid input wrote %d keys", n-before)
	}
	res = admin.post("/admin/apikeys", apikeyForm(admin.csrf("/admin/apikeys"), func(f url.Values) { f.Set("name", "English client") }))
	if m := newKeyRe.FindStringSubmatch(res.body); res.status != 200 || m == nil || !strings.Contains(res.body, "Copy it now: this key is shown only once") {
		t.Errorf("English issue: %d", res.status)
	} else if r := submit(m[1], "street light out"); r.status != 201 {
		t.Errorf("the English-issued key: %d %s", r.status, r.raw)
	}
}
