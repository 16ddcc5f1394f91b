package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// TestOpen311Errors asks every endpoint wrong in each way the spec names:
// 404 for an unknown service, request, token or jurisdiction, 403 for a
// missing or bad api_key, 400 for the rest. Each answer is an error list
// (checked against its schema in JSON, parsed in XML), and no rejected
// request writes anything.
func TestOpen311Errors(t *testing.T) {
	h := newHarness(t, t.TempDir())
	loadSchemas(t)
	ctx := context.Background()
	key := apiKey(t, h, service.NewAPIKey{})
	ref := h.app.Service.Ref()
	var street model.OrgUnit
	for _, o := range ref.OrgList() {
		if o.ParentID == ref.Root.ID && (o.Kind == model.OrgStreet || o.Kind == model.OrgTownship) {
			street = o
			break
		}
	}
	streetJID := service.JurisdictionID(ref.Root, street)
	streetKey := apiKey(t, h, service.NewAPIKey{Jurisdiction: streetJID})
	revoked := apiKey(t, h, service.NewAPIKey{Name: "旧客户端"})
	if _, err := h.app.Service.RevokeAPIKey(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	lat, lng, grid := demoPoint(t, h, 11)
	if grid["street_id"].(float64) == float64(street.ID) {
		lat, lng, _ = demoPoint(t, h, 200)
	}
	la, lo := fmt.Sprint(lat), fmt.Sprint(lng)
	// A case of a non-public category (a rectification domain) exists but
	// Open311 never shows it.
	var hidden model.Case
	for _, c := range ref.CatList {
		if !c.Public && ref.IsLeaf(c.ID) {
			cs := []store.CaseWithTimeline{{Case: model.Case{Receipt: "HIDDEN000001", Type: c.CaseType, DefVersion: 1, Channel: model.ChannelHotline,
				CategoryID: c.ID, Description: "校园餐问题线索", Lat: lat, Lng: lng, Status: "reported", Version: 1,
				CreatedAt: h.app.Config.Now(), UpdatedAt: h.app.Config.Now()},
				Events: []model.Event{{Seq: 1, At: h.app.Config.Now(), ActorName: "x", Role: model.RoleDiscipline, Action: "create", ToState: "reported"}}}}
			if err := h.app.Store.ImportCases(ctx, cs); err != nil {
				t.Fatal(err)
			}
			hidden = cs[0].Case
			break
		}
	}
	if hidden.ID == 0 {
		t.Fatal("no non-public category")
	}
	good := []string{"api_key", key, "service_code", "0105", "lat", la, "long", lo, "attribute[FAULT]", "DARK"}
	with := func(kv ...string) []byte { // good with some parameters replaced ("" drops one)
		out := []string{}
		repl := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			repl[kv[i]] = kv[i+1]
		}
		for i := 0; i+1 < len(good); i += 2 {
			v, ok := repl[good[i]]
			if !ok {
				v = good[i+1]
			}
			delete(repl, good[i])
			if v != "" {
				out = append(out, good[i], v)
			}
		}
		for k, v := range repl {
			out = append(out, k, v)
		}
		return form(out...)
	}
	cases := []struct {
		name, method, path string
		body               []byte
		ct                 string
		want               int
	}{
		{"unknown format", "GET", "discovery.yaml", nil, "", 404},
		{"unknown document", "GET", "nothing.json", nil, "", 404},
		{"services: unknown jurisdiction", "GET", "services.json?jurisdiction_id=999999", nil, "", 404},
		{"definition: unknown service", "GET", "services/NOPE.json", nil, "", 404},
		{"definition: non-public category", "GET", "services/Z01.xml", nil, "", 404},
		{"definition: parent category", "GET", "services/E04.json", nil, "", 404},
		{"definition: unknown jurisdiction", "GET", "services/0105.json?jurisdiction_id=1", nil, "", 404},
		{"post: no api_key", "POST", "requests.json", with("api_key", ""), formType, 403},
		{"post: bad api_key", "POST", "requests.xml", with("api_key", "yw311_nope"), formType, 403},
		{"post: revoked api_key", "POST", "requests.json", with("api_key", revoked), formType, 403},
		{"post: key of another jurisdiction", "POST", "requests.json", with("api_key", streetKey, "jurisdiction_id", ref.Root.Code), formType, 403},
		{"post: outside the key's jurisdiction", "POST", "requests.json", with("api_key", streetKey), formType, 400},
		{"post: unknown jurisdiction", "POST", "requests.json", with("jurisdiction_id", "000000"), formType, 404},
		{"post: no service_code", "POST", "requests.json", with("service_code", ""), formType, 400},
		{"post: unknown service_code", "POST", "requests.json", with("service_code", "NOPE"), formType, 404},
		{"post: non-public service_code", "POST", "requests.json", with("service_code", "Z01"), formType, 404},
		{"post: no location", "POST", "requests.json", with("lat", "", "long", ""), formType, 400},
		{"post: address only", "POST", "requests.json", with("lat", "", "long", "", "address_string", "乐坪大道1号"), formType, 400},
		{"post: address_id only", "POST", "requests.xml", with("lat", "", "long", "", "address_id", "A1"), formType, 400},
		{"post: lat only", "POST", "requests.json", with("long", ""), formType, 400},
		{"post: lat not a number", "POST", "requests.json", with("lat", "north"), formType, 400},
		{"post: lat out of range", "POST", "requests.json", with("lat", "91"), formType, 400},
		{"post: NaN", "POST", "requests.json", with("long", "NaN"), formType, 400},
		{"post: bad coord", "POST", "requests.json", with("coord", "mars"), formType, 400},
		{"post: description too long", "POST", "requests.json", with("description", strings.Repeat("长", 4001)), formType, 400},
		{"post: required attribute missing", "POST", "requests.json", with("attribute[FAULT]", ""), formType, 400},
		{"post: attribute value not in list", "POST", "requests.json", with("attribute[FAULT]", "BROKEN"), formType, 400},
		{"post: unknown attribute", "POST", "requests.json", with("attribute[COLOUR]", "red"), formType, 400},
		{"post: number attribute", "POST", "requests.json", with("attribute[LAMPS]", "three"), formType, 400},
		{"post: datetime attribute", "POST", "requests.json", with("attribute[SINCE]", "yesterday"), formType, 400},
		{"post: two values for a single list", "POST", "requests.json", with("attribute[FAULT][]", "DAMAGED"), formType, 400},
		{"post: malformed attribute name", "POST", "requests.json", with("attribute[FAULT", "DARK"), formType, 400},
		{"post: bad email", "POST", "requests.json", with("email", "not-an-address"), formType, 400},
		{"post: bad phone", "POST", "requests.json", with("phone", "12"), formType, 400},
		{"post: bad media_url", "POST", "requests.json", with("media_url", "javascript:alert(1)"), formType, 400},
		{"post: unsupported body", "POST", "requests.json", []byte(`{"service_code":"0105"}`), "application/json", 400},
		{"post: malformed form", "POST", "requests.json", []byte("api_key=%zz"), formType, 400},
		{"post: broken multipart", "POST", "requests.json", []byte("--x\r\nbroken"), "multipart/form-data; boundary=x", 400},
		{"post: to discovery", "POST", "discovery.json", with(), formType, 405},
		{"put requests", "PUT", "requests.json", with(), formType, 405},
		{"delete a request", "DELETE", "requests/1.json", nil, "", 405},
		{"get requests: unknown jurisdiction", "GET", "requests.json?jurisdiction_id=x", nil, "", 404},
		{"get requests: bad api_key", "GET", "requests.json?api_key=wrong", nil, "", 403},
		{"get requests: unknown service_code", "GET", "requests.xml?service_code=0105,NOPE", nil, "", 404},
		{"get requests: bad start_date", "GET", "requests.json?start_date=last+week", nil, "", 400},
		{"get requests: bad end_date", "GET", "requests.json?end_date=2026-13-01", nil, "", 400},
		{"get requests: span over 90 days", "GET", "requests.json?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-04-02T00:00:00%2B08:00", nil, "", 400},
		{"get requests: end before start", "GET", "requests.json?start_date=2026-02-01&end_date=2026-01-01", nil, "", 400},
		{"get requests: bad updated_after", "GET", "requests.json?updated_after=soon", nil, "", 400},
		{"get requests: bad status", "GET", "requests.json?status=pending", nil, "", 400},
		{"get requests: page 0", "GET", "requests.json?page=0", nil, "", 400},
		{"get requests: page_size 1001", "GET", "requests.json?page_size=1001", nil, "", 400},
		{"get requests: page_size not a number", "GET", "requests.xml?page_size=ten", nil, "", 400},
		{"get requests: bad service_request_id", "GET", "requests.json?service_request_id=1,abc", nil, "", 400},
		{"get requests: bad coord", "GET", "requests.json?coord=utm", nil, "", 400},
		{"get request: unknown id", "GET", "requests/99999999.json", nil, "", 404},
		{"get request: not an id", "GET", "requests/abc.xml", nil, "", 404},
		{"get request: non-public case", "GET", fmt.Sprintf("requests/%d.json", hidden.ID), nil, "", 404},
		{"get request: unknown jurisdiction", "GET", "requests/1.json?jurisdiction_id=x", nil, "", 404},
		{"token: unknown", "GET", "tokens/0123456789abcdef01234567.json", nil, "", 404},
		{"token: missing", "GET", "tokens.json", nil, "", 400},
		{"updates: bad date", "GET", "servicerequestupdates.json?start_date=x", nil, "", 400},
		{"updates: unknown jurisdiction", "GET", "servicerequestupdates.xml?jurisdiction_id=x", nil, "", 404},
		{"post update: no api_key", "POST", "servicerequestupdates.json", form("service_request_id", "1", "description", "x"), formType, 403},
		{"post update: unknown request", "POST", "servicerequestupdates.json", form("api_key", key, "service_request_id", "99999999", "description", "x"), formType, 404},
		{"post update: non-public request", "POST", "servicerequestupdates.json", form("api_key", key, "service_request_id", fmt.Sprint(hidden.ID), "description", "x"), formType, 404},
		{"post update: no request id", "POST", "servicerequestupdates.xml", form("api_key", key, "description", "x"), formType, 400},
		{"post update: no description", "POST", "servicerequestupdates.json", form("api_key", key, "service_request_id", "1"), formType, 400},
		{"post update: bad datetime", "POST", "servicerequestupdates.json", form("api_key", key, "service_request_id", "1", "description", "x", "updated_datetime", "now"), formType, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := o311counts(t, h)
			r := h.open311(t, c.method, c.path, "errors", c.body, c.ct)
			if r.status != c.want {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.want, r.raw)
			}
			if after := o311counts(t, h); after != before {
				t.Fatalf("rejected request wrote: %s → %s", before, after)
			}
		})
	}
	// The good request itself works, through the street key too.
	if r := h.open311(t, "POST", "requests.json", "created", with(), formType); r.status != 201 {
		t.Fatalf("good request: %d %s", r.status, r.raw)
	}
	// With the address in the register, address_string or address_id alone
	// locate the request.
	if err := h.app.Store.ApplyAddresses(ctx, []store.Address{{Text: "娄星区乐坪大道18号", Alias: "乐坪邮政局", Lat: lat, Lng: lng}}, nil); err != nil {
		t.Fatal(err)
	}
	ads, err := h.app.Store.ListAddresses(ctx)
	if err != nil || len(ads) == 0 {
		t.Fatalf("addresses: %v", err)
	}
	for _, by := range [][]byte{with("lat", "", "long", "", "address_string", "乐坪邮政局"), with("lat", "", "long", "", "address_id", fmt.Sprint(ads[len(ads)-1].ID))} {
		r := h.open311(t, "POST", "requests.json", "created", by, formType)
		if r.status != 201 {
			t.Fatalf("by address: %d %s", r.status, r.raw)
		}
		c, err := h.app.Store.Case(ctx, atoi(jsonList(t, r.raw)[0]["service_request_id"].(string)))
		if err != nil || c.Lat != lat || c.Lng != lng || c.Address == "" {
			t.Fatalf("located at %v,%v %q, want %v,%v", c.Lat, c.Lng, c.Address, lat, lng)
		}
	}
	slat, slng := streetPoint(t, h, street.ID)
	if r := h.open311(t, "POST", "requests.json", "created", with("api_key", streetKey, "lat", fmt.Sprint(slat), "long", fmt.Sprint(slng)), formType); r.status != 201 {
		t.Fatalf("street key in its street: %d %s", r.status, r.raw)
	}
}

// streetPoint is the centre of a grid of the street.
func streetPoint(t *testing.T, h *harness, street int64) (float64, float64) {
	for k := 0; k < 2000; k++ {
		lat, lng, p := demoPoint(t, h, k)
		if int64(p["street_id"].(float64)) == street {
			return lat, lng
		}
	}
	t.Fatal("no grid in the street")
	return 0, 0
}
