package app_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// Who may use each API route. "public" means anyone, with or without an
// account; "staff" every staff role; "key" nobody with a user account (the
// route takes a machine key); otherwise the listed roles. A route
// registered without a line here fails TestScopeMatrix: every new route
// must say who may use it.
var routeRules = map[string]string{
	"GET /healthz":                               "public",
	"GET /api/v1/openapi.json":                   "public",
	"POST /api/v1/login":                         "public",
	"POST /api/v1/logout":                        "user",
	"GET /api/v1/me":                             "user",
	"GET /api/v1/categories":                     "public",
	"GET /api/v1/grids":                          "public",
	"GET /api/v1/grids/{id}/versions":            "public",
	"GET /api/v1/units":                          "public",
	"POST /api/v1/cases":                         "public",
	"GET /api/v1/cases":                          "staff",
	"GET /api/v1/cases/{id}":                     "staff",
	"POST /api/v1/cases/{id}/actions/{action}":   "operator,supervisor", // {action} = accept
	"POST /api/v1/cases/{id}/reveal":             "operator,supervisor,discipline",
	"GET /api/v1/cases/{id}/routing":             "staff",
	"GET /api/v1/cases/{id}/machine-events":      "staff",
	"GET /api/v1/track/{receipt}":                "public",
	"POST /api/v1/attachments":                   "public",
	"GET /api/v1/attachments/{id}":               "staff",
	"GET /api/v1/calendar/deadline":              "public",
	"GET /api/v1/calendar/years":                 "public",
	"POST /api/v1/admin/calendar/years":          "admin",
	"GET /api/v1/workflows":                      "public",
	"GET /api/v1/workflows/{type}":               "public",
	"POST /api/v1/admin/workflows":               "admin",
	"POST /api/v1/supervisions":                  "supervisor,leader,discipline,admin", // kind 督办单,
	"GET /api/v1/supervisions":                   "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/supervisions/{id}":              "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"POST /api/v1/supervisions/{id}/reply":       "unit",
	"GET /api/v1/notifications":                  "staff",
	"POST /api/v1/notifications/{id}/read":       "staff",
	"GET /api/v1/dispatch-sheet":                 "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/dispatch-sheet.csv":             "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/geo/locate":                     "public",
	"GET /api/v1/geo/addresses":                  "staff",
	"GET /api/v1/geo/reverse":                    "staff",
	"GET /api/v1/geo/components":                 "staff",
	"POST /api/v1/admin/grids/import":            "admin",
	"POST /api/v1/admin/components/import":       "admin",
	"POST /api/v1/admin/addresses/import":        "admin",
	"GET /api/v1/admin/geo/config":               "admin",
	"PUT /api/v1/admin/geo/config":               "admin",
	"POST /api/v1/admin/categories":              "admin",
	"PUT /api/v1/admin/categories/{id}":          "admin",
	"GET /api/v1/admin/categories/{id}/versions": "admin",
	"GET /api/v1/admin/rules":                    "admin",
	"POST /api/v1/admin/rules":                   "admin",
	"GET /api/v1/admin/rules/{id}":               "admin",
	"PUT /api/v1/admin/rules/{id}":               "admin",
	"DELETE /api/v1/admin/rules/{id}":            "admin",
	"GET /api/v1/admin/rules/{id}/versions":      "admin",
	"GET /api/v1/stats/summary":                  "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/breakdown":                "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/ranking":                  "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/hotspots":                 "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/topics":                   "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/dashboard":                "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/briefing":                 "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/export":                   "operator,supervisor,dispatcher,unit,discipline,leader,admin",
	"GET /api/v1/stats/ledgers/{kind}":           "operator,supervisor,dispatcher,unit,discipline,leader,admin", // {kind} = rectification; the clue ledger is checked below,
	"POST /api/v1/stats/ledgers/{kind}/import":   "discipline",
	"GET /api/v1/stats/config":                   "staff",
	"PUT /api/v1/stats/config":                   "admin",
	"POST /api/v1/events":                        "key",
	"GET /api/v1/events/review":                  "operator,supervisor,admin",
	"POST /api/v1/events/review/{id}/confirm":    "operator,supervisor,admin",
	"POST /api/v1/events/review/{id}/dismiss":    "operator,supervisor,admin",
}

// bodies for routes whose permission depends on what is asked.
var bodies = map[string]any{
	"POST /api/v1/login":        map[string]any{"username": "operator1", "password": "yiwang-demo"},
	"POST /api/v1/supervisions": map[string]any{"kind": "duban"},
}

// accounts used for each role in the matrix.
var roleAccounts = map[string]string{
	"anonymous": "", "citizen": "citizen", "operator": "operator1", "grid_worker": "wgy001", "supervisor": "supervisor",
	"dispatcher": "dispatcher", "unit": "chengguan", "discipline": "discipline", "leader": "leader", "admin": "admin",
}

// chengguanCase reports a public case in the middle of wgy001's grid, of a
// category 城管 handles, and checks it was routed there: a case every
// staff role may see. It answers the create's response and the grid's and
// 城管's org ids.
func chengguanCase(t *testing.T, h *harness, desc, name, phone string) (r resp, gridID, cgID int64) {
	t.Helper()
	for _, u := range mustUsers(t, h) {
		switch u.Username {
		case "wgy001":
			gridID = u.OrgID
		case "chengguan":
			cgID = u.OrgID
		}
	}
	ref := h.app.Service.Ref()
	lat, lng := gridCentre(t, ref.Grids[gridID].Geometry)
	var catCode string
	for _, c := range ref.CatList {
		if c.DefaultUnitID == cgID && ref.IsLeaf(c.ID) {
			catCode = c.Code
			break
		}
	}
	r = h.do("POST", "/api/v1/cases", "", map[string]any{"category": catCode, "description": desc, "lat": lat, "lng": lng,
		"reporter": map[string]any{"name": name, "phone": phone}})
	if r.status != 201 || num(r.body["unit"].(map[string]any)["id"]) != cgID || num(r.body["grid"].(map[string]any)["id"]) != gridID {
		t.Fatalf("setup case: %d %s", r.status, r.raw)
	}
	return r, gridID, cgID
}

// TestScopeMatrix calls every API route as every role and checks that the
// roles a rule allows are not refused (no 401/403) and the others are
// (401, 403, or 404 for a record they may not know exists).
func TestScopeMatrix(t *testing.T) {
	h := newHarness(t, t.TempDir())
	// A case every staff role may see: in wgy001's grid, routed to 城管.
	r, _, _ := chengguanCase(t, h, "权限矩阵测试", "矩阵", "13800001111")
	caseID, receipt := num(r.body["id"]), r.body["receipt"].(string)
	photo := upload(t, h, h.login("operator1"), pngBytes(t))
	params := map[string]string{"{id}": itoa(caseID), "{receipt}": receipt, "{action}": "accept", "{type}": "city_case", "{kind}": "rectification"}

	tokens := map[string]string{}
	for role, acct := range roleAccounts {
		if acct != "" {
			tokens[role] = h.login(acct)
		}
	}
	roles := make([]string, 0, len(roleAccounts))
	for r := range roleAccounts {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	var missing []string
	matrix := map[string]map[string]int{}
	for _, route := range h.app.APIRoutes {
		method, path, ok := strings.Cut(route, " ")
		if !ok || (!strings.HasPrefix(path, "/api/") && path != "/healthz") {
			continue
		}
		rule, ok := routeRules[route]
		if !ok {
			missing = append(missing, route)
			continue
		}
		matrix[route] = map[string]int{}
		for _, role := range roles {
			p := path
			if strings.Contains(route, "/attachments/{id}") {
				p = strings.ReplaceAll(p, "{id}", photo)
			}
			for k, v := range params {
				p = strings.ReplaceAll(p, k, v)
			}
			tok := tokens[role]
			if route == "POST /api/v1/logout" && tok != "" {
				tok = h.login(roleAccounts[role]) // a token of its own to end
			}
			var body any
			if method != http.MethodGet {
				body = map[string]any{}
			}
			if b, ok := bodies[route]; ok {
				body = b
			}
			res := h.do(method, p, tok, body)
			matrix[route][role] = res.status
			allowed := allows(rule, role)
			refused := res.status == 401 || res.status == 403 || (res.status == 404 && strings.Contains(route, "{id}"))
			if allowed && (res.status == 401 || res.status == 403) {
				t.Errorf("%s as %s: %d, but the rule %q allows it: %s", route, role, res.status, rule, res.raw)
			}
			if !allowed && !refused {
				t.Errorf("%s as %s: %d, but the rule %q refuses it", route, role, res.status, rule)
			}
			if res.status >= 500 {
				t.Errorf("%s as %s: %d %s", route, role, res.status, res.raw)
			}
		}
	}
	if len(missing) > 0 {
		var b strings.Builder
		for _, route := range missing {
			method, path, _ := strings.Cut(route, " ")
			fmt.Fprintf(&b, "\t%q: \"?\", // %s\n", route, method+" "+path)
		}
		t.Errorf("routes with no rule in routeRules (add who may use them):\n%s", b.String())
	}
	if testing.Verbose() {
		var b strings.Builder
		fmt.Fprintf(&b, "%-58s", "route")
		for _, r := range roles {
			fmt.Fprintf(&b, " %5.5s", r)
		}
		keys := make([]string, 0, len(matrix))
		for k := range matrix {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, route := range keys {
			fmt.Fprintf(&b, "\n%-58s", route)
			for _, r := range roles {
				fmt.Fprintf(&b, " %5d", matrix[route][r])
			}
		}
		t.Log(b.String())
	}
}

func allows(rule, role string) bool {
	switch rule {
	case "public":
		return true
	case "staff":
		return role != "anonymous" && role != "citizen"
	case "key":
		return false
	case "user":
		return role != "anonymous"
	}
	for _, r := range strings.Split(rule, ",") {
		if strings.TrimSpace(r) == role {
			return true
		}
	}
	return false
}

func gridCentre(t *testing.T, geometry string) (float64, float64) {
	var lat, lng float64
	var n int
	parts := strings.SplitN(geometry, "[[[", 2)
	if len(parts) != 2 {
		t.Fatalf("geometry %s", geometry)
	}
	ring := strings.SplitN(parts[1], "]]", 2)[0]
	for _, c := range strings.Split(ring, "],[") {
		var x, y float64
		if _, err := fmt.Sscanf(strings.Trim(c, "[] "), "%f,%f", &x, &y); err == nil {
			lng, lat, n = lng+x, lat+y, n+1
		}
	}
	if n < 2 {
		t.Fatalf("no vertices in %s", geometry)
	}
	// The ring repeats its first vertex; drop it from the average.
	return lat / float64(n), lng / float64(n)
}
