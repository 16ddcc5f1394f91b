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
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
)

var newPasswordRe = regexp.MustCompile(`<code class="secret-key" id="new-password">([^<]+)</code>`)

// userForm is a valid add form of a handling-unit account in chengguan's
// department, password left empty (generated); edit changes it.
func userForm(csrf string, org int64, edit func(url.Values)) url.Values {
	f := url.Values{"csrf": {csrf}, "username": {"zhang.wei"}, "name": {"张伟"}, "role": {"unit"},
		"org": {fmt.Sprint(org)}, "password": {""}}
	if edit != nil {
		edit(f)
	}
	return f
}

func apiLogin(h *harness, user, password string) resp {
	h.t.Helper()
	return h.do("POST", "/api/v1/login", "", map[string]string{"username": user, "password": password})
}

// TestWebUsers works the administrator's accounts page as a browser
// would: add an account with a generated password that logs in at once
// and is shown once only; invalid input comes back on its fields and
// writes nothing; reset a password; only administrators may see or post;
// English labels.
func TestWebUsers(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM users`) }
	dept := mustUser(t, h, "chengguan").OrgID
	if h.app.Service.Ref().Org[dept].Kind != model.OrgDepartment {
		t.Fatalf("chengguan's org %d is not a department", dept)
	}

	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/users"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/users") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	idx := admin.get("/admin/")
	if strings.Contains(idx.body, "在页面上新增、停用账号与重置密码") || !strings.Contains(idx.body, `href="/admin/users"`) {
		t.Errorf("the admin index still lists accounts as missing, or does not link them")
	}
	p := admin.get("/admin/users")
	checkHTML(t, "users page", p)
	form := between(p.body, `id="user-form"`, "</form>")
	if p.status != 200 || strings.Contains(p.body, "yiwang user add") || !strings.Contains(form, `action="/admin/users"`) && !strings.Contains(p.body, `action="/admin/users"`) {
		t.Fatalf("users page: %d", p.status)
	}
	// The selects: staff roles with their labels (no citizen), the org
	// tree grouped, departments in a group of their own.
	for _, want := range []string{`<option value="unit">承办单位</option>`, `<option value="admin">管理员</option>`, `<optgroup label="区直部门">`,
		fmt.Sprintf(`<option value="%d">`, dept)} {
		if !strings.Contains(form, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	if strings.Contains(form, `value="citizen"`) {
		t.Errorf("the form offers citizen accounts")
	}
	before := count()

	// Add with a generated password: shown on this answer only, once.
	res := admin.post("/admin/users", userForm(admin.csrf("/admin/users"), dept, nil))
	checkHTML(t, "user added", res)
	m := newPasswordRe.FindStringSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("add: %d %s", res.status, between(res.body, `id="page-error"`, "</div>"))
	}
	pw := html.UnescapeString(m[1])
	if len(pw) < 16 || res.header.Get("Location") != "" || strings.Count(res.body, m[1]) != 1 || res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("password %q, Location %q, %d times, Cache-Control %q", pw, res.header.Get("Location"), strings.Count(res.body, m[1]), res.header.Get("Cache-Control"))
	}
	if !strings.Contains(res.body, "此密码只显示一次") || !strings.Contains(res.body, "已创建账号 张伟（zhang.wei），角色：承办单位") {
		t.Errorf("the answer lacks its message")
	}
	if strings.Contains(res.body, `id="totp-note"`) {
		t.Errorf("a unit account is told to enrol TOTP")
	}
	if strings.Contains(between(res.body, `id="user-form"`, "</form>"), "zhang.wei") {
		t.Errorf("the form still holds the account just added")
	}
	if count() != before+1 {
		t.Fatalf("add made %d users", count()-before)
	}
	// The password logs in through the API; the account is what was chosen.
	r := apiLogin(h, "zhang.wei", pw)
	if r.status != 200 {
		t.Fatalf("login with the generated password: %d %s", r.status, r.raw)
	}
	uv, _ := r.body["user"].(map[string]any)
	if uv["role"] != "unit" || uv["org_id"] != float64(dept) || uv["display_name"] != "张伟" {
		t.Errorf("new user %v", uv)
	}
	zhangToken := r.body["token"].(string)
	if r := apiLogin(h, "zhang.wei", "yiwang-demo"); r.status != http.StatusUnauthorized {
		t.Errorf("another password: %d", r.status)
	}
	// Two generated passwords differ.
	res2 := admin.post("/admin/users", userForm(admin.csrf("/admin/users"), dept, func(f url.Values) { f.Set("username", "li.na"); f.Set("name", "") }))
	m2 := newPasswordRe.FindStringSubmatch(res2.body)
	if m2 == nil || m2[1] == m[1] {
		t.Fatalf("second add: %d", res2.status)
	}
	if u := mustUser(t, h, "li.na"); u.DisplayName != "li.na" || u.Role != model.RoleUnit {
		t.Errorf("li.na stored as %+v", u)
	}

	// Not on the list, nor anywhere in the data dir in the clear.
	list := admin.get("/admin/users")
	if strings.Contains(list.body, m[1]) || strings.Contains(list.body, `id="new-password"`) || !strings.Contains(list.body, "<code>zhang.wei</code>") {
		t.Errorf("the list shows the password, or not the account")
	}
	wfWait(t, "the add's audit entry", func() bool {
		return h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /admin/users' AND username = 'admin' AND detail LIKE '%username=zhang.wei%'`) == 1
	})
	noPasswordInDir := func(pw string) {
		t.Helper()
		filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(pw)) {
				t.Errorf("the password is stored in %s", path)
			}
			return nil
		})
	}
	noPasswordInDir(pw)

	// A typed password: used as typed, not shown back.
	res = admin.post("/admin/users", userForm(admin.csrf("/admin/users"), dept, func(f url.Values) {
		f.Set("username", "wang.fang")
		f.Set("password", "Typed-Secret-2026")
	}))
	if res.status != 200 || newPasswordRe.MatchString(res.body) || strings.Contains(res.body, "Typed-Secret-2026") || !strings.Contains(res.body, `id="typed-password"`) {
		t.Errorf("typed password add: %d", res.status)
	}
	if r := apiLogin(h, "wang.fang", "Typed-Secret-2026"); r.status != 200 {
		t.Errorf("login with the typed password: %d %s", r.status, r.raw)
	}

	// An admin account: told to enrol TOTP (in demo mode it logs in without).
	res = admin.post("/admin/users", userForm(admin.csrf("/admin/users"), dept, func(f url.Values) { f.Set("username", "admin2"); f.Set("role", "admin") }))
	if res.status != 200 || !strings.Contains(res.body, `id="totp-note"`) || !strings.Contains(res.body, "yiwang user totp --username admin2") {
		t.Errorf("admin add without the TOTP note: %d", res.status)
	}

	// Invalid input: the errors next to their fields, what was typed kept
	// (the password never), nothing written.
	before = count()
	long := strings.Repeat("a", 65)
	for _, tc := range []struct {
		name  string
		edit  func(url.Values)
		field string
		msg   string
	}{
		{"empty username", func(f url.Values) { f.Set("username", "  ") }, "username", "必填"},
		{"duplicate username", func(f url.Values) { f.Set("username", "operator1") }, "username", "用户名已被占用"},
		{"username with a space", func(f url.Values) { f.Set("username", "zhang wei") }, "username", "只能是一个词：不能含空格或控制字符"},
		{"username too long", func(f url.Values) { f.Set("username", long) }, "username", "不能超过 64 个字"},
		{"no role", func(f url.Values) { f.Set("username", "new1"); f.Set("role", "") }, "role", "必填"},
		{"unknown role", func(f url.Values) { f.Set("username", "new1"); f.Set("role", "superuser") }, "role", "请从列表中选择角色"},
		{"citizen role", func(f url.Values) { f.Set("username", "new1"); f.Set("role", "citizen") }, "role", "请从列表中选择角色"},
		{"unit role without org", func(f url.Values) { f.Set("username", "new1"); f.Set("org", "") }, "org", "必填"},
		{"unknown org", func(f url.Values) { f.Set("username", "new1"); f.Set("org", "999999") }, "org", "未知的单位"},
		{"org not a number", func(f url.Values) { f.Set("username", "new1"); f.Set("org", "城管局") }, "org", "未知的单位"},
		{"weak password", func(f url.Values) { f.Set("username", "new1"); f.Set("password", "1234567") }, "password", "密码至少 8 位"},
	} {
		f := userForm(admin.csrf("/admin/users"), dept, tc.edit)
		res := admin.post("/admin/users", f)
		checkHTML(t, tc.name, res)
		want := fmt.Sprintf(`id="%s-error">%s`, tc.field, html.EscapeString(tc.msg))
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, want) || !strings.Contains(res.body, "账号未创建，请检查标出的字段。") {
			t.Errorf("%s: %d, want %q in\n%s", tc.name, res.status, want, between(res.body, `id="user-form"`, "</form>"))
		}
		if newPasswordRe.MatchString(res.body) {
			t.Errorf("%s: a password is shown", tc.name)
		}
		formHTML := between(res.body, `id="user-form"`, "</form>")
		if u := strings.TrimSpace(f.Get("username")); u != "" && !strings.Contains(formHTML, `name="username" value="`+html.EscapeString(f.Get("username"))+`"`) {
			t.Errorf("%s: username not kept", tc.name)
		}
		if !strings.Contains(formHTML, `name="name" value="张伟"`) {
			t.Errorf("%s: name not kept", tc.name)
		}
		if ro := f.Get("role"); ro == "unit" && !strings.Contains(formHTML, `<option value="unit" selected>`) {
			t.Errorf("%s: role not kept", tc.name)
		}
		if o := f.Get("org"); o == fmt.Sprint(dept) && !strings.Contains(formHTML, fmt.Sprintf(`<option value="%d" selected>`, dept)) {
			t.Errorf("%s: org not kept", tc.name)
		}
		if pw := f.Get("password"); pw != "" && strings.Contains(res.body, pw) {
			t.Errorf("%s: the typed password is echoed", tc.name)
		}
		if n := count(); n != before {
			t.Fatalf("%s: wrote %d users", tc.name, n-before)
		}
	}
	// Several errors at once, all shown.
	res = admin.post("/admin/users", userForm(admin.csrf("/admin/users"), dept, func(f url.Values) {
		f.Set("username", "")
		f.Set("role", "nobody")
		f.Set("org", "")
		f.Set("password", "short")
	}))
	for _, want := range []string{`id="username-error">必填`, `id="role-error">请从列表中选择角色`, `id="org-error">必填`, `id="password-error">密码至少 8 位`} {
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, want) {
			t.Errorf("several errors: %d, lacks %q", res.status, want)
		}
	}
	if n := count(); n != before {
		t.Fatalf("invalid input wrote %d users", n-before)
	}

	// Reset: slow the name down first with wrong passwords from this
	// address; the reset refuses the old password, accepts the new one
	// and forgets the failures (TestLoginResetLiftsThrottle times it).
	zhang := mustUser(t, h, "zhang.wei")
	for i := 0; i < 6; i++ {
		apiLogin(h, "zhang.wei", "wrong-password")
	}
	if r := apiLogin(h, "zhang.wei", pw); r.status != http.StatusTooManyRequests {
		t.Fatalf("the right password right after six wrong ones: %d, want 429", r.status)
	}
	if res := admin.post(fmt.Sprintf("/admin/users/%d/password", zhang.ID), url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("reset without a token: %d", res.status)
	}
	res = admin.post(fmt.Sprintf("/admin/users/%d/password", zhang.ID), url.Values{"csrf": {admin.csrf("/admin/users")}})
	checkHTML(t, "password reset", res)
	m = newPasswordRe.FindStringSubmatch(res.body)
	if res.status != 200 || m == nil || res.header.Get("Location") != "" || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset: %d %q", res.status, res.header.Get("Location"))
	}
	newPW := html.UnescapeString(m[1])
	if newPW == pw || !strings.Contains(res.body, "已为 张伟（zhang.wei）重置密码") || !strings.Contains(res.body, `id="sessions-note"`) {
		t.Errorf("reset answer")
	}
	if r := apiLogin(h, "zhang.wei", pw); r.status != http.StatusUnauthorized {
		t.Errorf("the old password after the reset: %d %s", r.status, r.raw)
	}
	if r := apiLogin(h, "zhang.wei", newPW); r.status != 200 {
		t.Errorf("the new password: %d %s", r.status, r.raw)
	}
	// A reset signs out whoever knew the old password.
	if r := h.do("GET", "/api/v1/me", zhangToken, nil); r.status != http.StatusUnauthorized {
		t.Errorf("the session from before the reset: %d", r.status)
	}
	if strings.Contains(admin.get("/admin/users").body, m[1]) {
		t.Errorf("the list shows the reset password")
	}
	noPasswordInDir(newPW)
	if res := admin.post("/admin/users/99999/password", url.Values{"csrf": {admin.csrf("/admin/users")}}); res.status != http.StatusNotFound {
		t.Errorf("reset an unknown account: %d", res.status)
	}
	// Disable: login refused, open sessions end; enable: login works again.
	zhangToken = apiLogin(h, "zhang.wei", newPW).body["token"].(string)
	if res := admin.post(fmt.Sprintf("/admin/users/%d/disabled", zhang.ID), url.Values{"disabled": {"1"}}); res.status != http.StatusForbidden {
		t.Errorf("disable without the CSRF token: %d", res.status)
	}
	res = admin.post(fmt.Sprintf("/admin/users/%d/disabled", zhang.ID), url.Values{"csrf": {admin.csrf("/admin/users")}, "disabled": {"1"}})
	if res.status != 200 || !strings.Contains(res.body, "已停用账号 zhang.wei") || !strings.Contains(res.body, fmt.Sprintf(`id="form-enable-%d"`, zhang.ID)) {
		t.Fatalf("disable: %d", res.status)
	}
	if r := apiLogin(h, "zhang.wei", newPW); r.status != http.StatusUnauthorized {
		t.Errorf("a disabled account logs in: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/me", zhangToken, nil); r.status != http.StatusUnauthorized {
		t.Errorf("a disabled account's session: %d", r.status)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`, zhang.ID); n != 0 {
		t.Errorf("%d sessions left after disabling", n)
	}
	res = admin.post(fmt.Sprintf("/admin/users/%d/disabled", zhang.ID), url.Values{"csrf": {admin.csrf("/admin/users")}, "disabled": {"0"}})
	if res.status != 200 || !strings.Contains(res.body, "已重新启用账号 zhang.wei") {
		t.Fatalf("enable: %d", res.status)
	}
	if r := apiLogin(h, "zhang.wei", newPW); r.status != 200 {
		t.Errorf("an enabled account: %d", r.status)
	}
	// An administrator cannot disable their own account; nothing changes.
	adminID := int64(h.sqlCount(`SELECT id FROM users WHERE username = 'admin'`))
	if strings.Contains(admin.get("/admin/users").body, fmt.Sprintf(`id="form-disable-%d"`, adminID)) {
		t.Errorf("the page offers to disable the administrator's own account")
	}
	res = admin.post(fmt.Sprintf("/admin/users/%d/disabled", adminID), url.Values{"csrf": {admin.csrf("/admin/users")}, "disabled": {"1"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "不能停用自己") || h.sqlCount(`SELECT disabled FROM users WHERE id = ?`, adminID) != 0 {
		t.Errorf("self-disable: %d", res.status)
	}
	if res := admin.post("/admin/users/99999/disabled", url.Values{"csrf": {admin.csrf("/admin/users")}, "disabled": {"1"}}); res.status != http.StatusNotFound {
		t.Errorf("disable an unknown account: %d", res.status)
	}

	// Other roles: 403 on the page and on both forms, nothing written.
	before = count()
	hashBefore := h.sqlCount(`SELECT LENGTH(password_hash) FROM users WHERE id = ?`, zhang.ID)
	for _, user := range []string{"operator1", "chengguan"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/users"); p.status != http.StatusForbidden || strings.Contains(p.body, "zhang.wei") {
			t.Errorf("%s: GET %d", user, p.status)
		}
		csrf := w.csrf("/work/inbox")
		if res := w.post("/admin/users", userForm(csrf, dept, func(f url.Values) { f.Set("username", "by-"+user) })); res.status != http.StatusForbidden || newPasswordRe.MatchString(res.body) {
			t.Errorf("%s: add %d", user, res.status)
		}
		if res := w.post(fmt.Sprintf("/admin/users/%d/password", zhang.ID), url.Values{"csrf": {csrf}}); res.status != http.StatusForbidden || newPasswordRe.MatchString(res.body) {
			t.Errorf("%s: reset %d", user, res.status)
		}
		if res := w.post(fmt.Sprintf("/admin/users/%d/disabled", zhang.ID), url.Values{"csrf": {csrf}, "disabled": {"1"}}); res.status != http.StatusForbidden {
			t.Errorf("%s: disable %d", user, res.status)
		}
	}
	if h.sqlCount(`SELECT disabled FROM users WHERE id = ?`, zhang.ID) != 0 {
		t.Errorf("another role disabled the account")
	}
	if n := count(); n != before {
		t.Errorf("other roles added %d users", n-before)
	}
	if r := apiLogin(h, "zhang.wei", newPW); r.status != 200 || hashBefore == 0 {
		t.Errorf("another role's reset changed the password: %d", r.status)
	}
	if _, _, err := h.app.Service.AdminResetPassword(ctx, mustUser(t, h, "operator1"), zhang.ID); err == nil {
		t.Errorf("the service resets for an operator")
	}

	// English: labels and a field error.
	p = admin.get("/admin/users?lang=en")
	for _, want := range []string{"Add an account", "Initial password", "Reset password…", "Handling unit", "Create account"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	for _, zh := range []string{"新增账号", "初始密码", "重置密码", "创建账号"} {
		if strings.Contains(p.body, zh) {
			t.Errorf("English page has %q", zh)
		}
	}
	res = admin.post("/admin/users", userForm(admin.csrf("/admin/users"), dept, func(f url.Values) { f.Set("username", "en1"); f.Set("role", "x") }))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="role-error">Choose a role from the list`) {
		t.Errorf("English field error: %d", res.status)
	}
}
