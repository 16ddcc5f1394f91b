package app_test

import (
	"context"
	"net/url"
	"testing"
)

// TestWebPostsAudited: form posts of the staff pages go on the audit chain
// under the name of who sent them, as the API's requests do — a failed
// login under the name tried, a signed-in user's post under theirs.
func TestWebPostsAudited(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	w := newWebClient(t, h.srv.URL, nil)
	if p := w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"operator1"}, "password": {"wrong"}}); p.status != 401 {
		t.Fatalf("bad login: %d", p.status)
	}
	w.login("supervisor")
	if p := w.post("/logout", url.Values{"csrf": {w.csrf("/work/inbox")}}); p.status != 303 {
		t.Fatalf("logout: %d", p.status)
	}
	h.app.Service.FlushAudit(context.Background())
	db := openRaw(t, dir)
	defer db.Close()
	rows, err := db.Query(`SELECT username, role, result FROM audit_log WHERE action LIKE 'POST /log%' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type entry struct{ user, role, result string }
	var got []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.user, &e.role, &e.result); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 3 || got[0] != (entry{"operator1", "", "401"}) || got[1] != (entry{"supervisor", "supervisor", "303"}) ||
		got[2] != (entry{"supervisor", "supervisor", "303"}) {
		t.Fatalf("audit entries of the form posts: %v", got)
	}
}
