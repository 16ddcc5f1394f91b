package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// TestOpen311Conformance walks every Open311 resource in both formats,
// validating each JSON answer against the spec's schemas and parsing each
// XML answer, and follows a request from POST to token, GET and updates.
func TestOpen311Conformance(t *testing.T) {
	h := newHarness(t, t.TempDir())
	loadSchemas(t)
	ctx := context.Background()
	key := apiKey(t, h, service.NewAPIKey{})
	// A staff-scope key reads new requests before anyone accepted them,
	// exactly and unmasked; without a key they do not exist yet (see
	// TestOpen311PublicOutput).
	staff := apiKey(t, h, service.NewAPIKey{Name: "内部系统", Scope: store.KeyScopeStaff})
	ref := h.app.Service.Ref()

	t.Run("discovery", func(t *testing.T) {
		r := h.open311(t, "GET", "discovery.json", "discovery", nil, "")
		var d struct {
			Endpoints []struct {
				URL     string   `json:"url"`
				Formats []string `json:"formats"`
			} `json:"endpoints"`
		}
		json.Unmarshal(r.raw, &d)
		if r.status != 200 || len(d.Endpoints) != 1 || d.Endpoints[0].URL != h.srv.URL+"/open311/v2" || len(d.Endpoints[0].Formats) != 2 {
			t.Fatalf("discovery: %d %s", r.status, r.raw)
		}
		if r := h.open311(t, "GET", "discovery.xml", "discovery", nil, ""); r.status != 200 || !bytes.Contains(r.raw, []byte("<format>text/xml</format>")) {
			t.Fatalf("discovery.xml: %d %s", r.status, r.raw)
		}
	})

	var services []map[string]any
	t.Run("services", func(t *testing.T) {
		r := h.open311(t, "GET", "services.json", "services", nil, "")
		services = jsonList(t, r.raw)
		var want []string
		for _, c := range ref.CatList {
			if c.Public && ref.IsLeaf(c.ID) && c.CaseType == "city_case" {
				want = append(want, c.Code)
			}
		}
		var got []string
		for _, s := range services {
			got = append(got, s["service_code"].(string))
			c := ref.ByCode[s["service_code"].(string)]
			if s["service_name"] != c.Name || s["group"] != ref.Categories[c.ParentID].Name || s["type"] != "realtime" {
				t.Errorf("service %v: name/group/type wrong", s)
			}
			seeded := slices.Contains([]string{"E0405", "0105", "E0505", "E0301"}, c.Code)
			if s["metadata"] != seeded {
				t.Errorf("service %s: metadata %v, want %v", c.Code, s["metadata"], seeded)
			}
		}
		if len(want) < 40 || !slices.Equal(got, want) {
			t.Fatalf("services %v, want the public leaves %v", got, want)
		}
		rx := h.open311(t, "GET", "services.xml", "services", nil, "")
		var doc struct {
			Services []struct {
				Code     string `xml:"service_code"`
				Name     string `xml:"service_name"`
				Metadata bool   `xml:"metadata"`
				Group    string `xml:"group"`
			} `xml:"service"`
		}
		if err := xml.Unmarshal(rx.raw, &doc); err != nil || len(doc.Services) != len(services) {
			t.Fatalf("services.xml: %v, %d services", err, len(doc.Services))
		}
		for i, s := range doc.Services {
			if s.Code != services[i]["service_code"] || s.Name != services[i]["service_name"] || s.Metadata != services[i]["metadata"] || s.Group != services[i]["group"] {
				t.Errorf("XML service %d = %+v, JSON %v", i, s, services[i])
			}
		}
	})

	t.Run("definitions", func(t *testing.T) {
		types := map[string]bool{}
		for _, s := range services {
			code := s["service_code"].(string)
			r := h.open311(t, "GET", "services/"+code+".json", "definition", nil, "")
			var d struct {
				ServiceCode string `json:"service_code"`
				Attributes  []struct {
					Code     string `json:"code"`
					Datatype string `json:"datatype"`
					Order    int    `json:"order"`
					Values   []struct{ Key, Name string }
				} `json:"attributes"`
			}
			if err := json.Unmarshal(r.raw, &d); err != nil || r.status != 200 || d.ServiceCode != code {
				t.Fatalf("definition %s: %d %s", code, r.status, r.raw)
			}
			if (len(d.Attributes) > 0) != s["metadata"] {
				t.Errorf("%s: metadata %v but %d attributes", code, s["metadata"], len(d.Attributes))
			}
			for i, a := range d.Attributes {
				types[a.Datatype] = true
				if i > 0 && a.Order < d.Attributes[i-1].Order {
					t.Errorf("%s: attributes out of order", code)
				}
				if list := strings.HasSuffix(a.Datatype, "valuelist"); list != (len(a.Values) > 0) {
					t.Errorf("%s/%s: %s with %d values", code, a.Code, a.Datatype, len(a.Values))
				}
			}
			rx := h.open311(t, "GET", "services/"+code+".xml", "definition", nil, "")
			var dx struct {
				Attributes []struct {
					Code   string `xml:"code"`
					Values []struct {
						Key string `xml:"key"`
					} `xml:"values>value"`
				} `xml:"attributes>attribute"`
			}
			if err := xml.Unmarshal(rx.raw, &dx); err != nil || len(dx.Attributes) != len(d.Attributes) {
				t.Fatalf("definition %s.xml: %v", code, err)
			}
		}
		for _, dt := range service.AttributeDatatypes {
			if !types[dt] {
				t.Errorf("no service definition uses datatype %s", dt)
			}
		}
	})

	lat, lng, grid := demoPoint(t, h, 23)
	var id, token string
	t.Run("post and token", func(t *testing.T) {
		before := o311counts(t, h)
		r := h.open311(t, "POST", "requests.json", "created", form("api_key", key, "service_code", "E0405",
			"lat", fmt.Sprint(lat), "long", fmt.Sprint(lng), "address_string", "乐坪大道18号",
			"attribute[COVER_KIND]", "SEWER", "attribute[INJURY]", "NO", "attribute[LANDMARK]", "邮政局门口",
			"first_name", "小梅", "last_name", "刘", "phone", "+86 138 1234 5678", "email", "liu@example.cn",
			"device_id", "dev-1", "account_id", "acct-9", "description", "井盖不见了，晚上很危险"), formType)
		created := jsonList(t, r.raw)
		if r.status != 201 || len(created) != 1 {
			t.Fatalf("post: %d %s", r.status, r.raw)
		}
		id, token = created[0]["service_request_id"].(string), created[0]["token"].(string)
		if created[0]["account_id"] != "acct-9" || !strings.Contains(created[0]["service_notice"].(string), "回执码") {
			t.Errorf("post answer: %s", r.raw)
		}
		if before == o311counts(t, h) {
			t.Fatal("nothing written")
		}
		var cid int64
		fmt.Sscan(id, &cid)
		c, err := h.app.Store.Case(ctx, cid)
		if err != nil || c.Channel != model.ChannelOpen311 || c.Reporter.Name != "刘小梅" || c.Reporter.Phone != "13812345678" || c.Address != "乐坪大道18号" {
			t.Fatalf("stored case %+v %v", c, err)
		}
		if g, _ := grid["code"].(string); ref.Grids[c.GridID].Code.String() != g {
			t.Errorf("routed to grid %v, want %v", ref.Grids[c.GridID].Code, g)
		}
		tr := h.open311(t, "GET", "tokens/"+token+".json", "tokens", nil, "")
		if tl := jsonList(t, tr.raw); tr.status != 200 || tl[0]["service_request_id"] != id || tl[0]["token"] != token {
			t.Fatalf("token: %d %s", tr.status, tr.raw)
		}
		if tr := h.open311(t, "GET", "tokens/"+token+".xml", "tokens", nil, ""); !bytes.Contains(tr.raw, []byte("<service_request_id>"+id+"</service_request_id>")) {
			t.Fatalf("token.xml: %s", tr.raw)
		}
		rx := h.open311(t, "POST", "requests.xml", "created", form("api_key", key, "service_code", "0105", "lat", fmt.Sprint(lat), "long", fmt.Sprint(lng),
			"attribute[FAULT]", "DARK", "attribute[LAMPS]", "3", "attribute[SINCE]", "2026-05-01T20:00:00+08:00"), formType)
		if rx.status != 201 || !bytes.Contains(rx.raw, []byte("<token>")) {
			t.Fatalf("post xml: %d %s", rx.status, rx.raw)
		}
	})

	t.Run("get request", func(t *testing.T) {
		if r := h.open311(t, "GET", "requests/"+id+".json", "requests", nil, ""); r.status != 404 {
			t.Fatalf("a request nobody accepted, read without a key: %d %s", r.status, r.raw)
		}
		r := h.open311(t, "GET", "requests/"+id+".json?api_key="+staff, "requests", nil, "")
		d := jsonList(t, r.raw)[0]
		c, _ := h.app.Service.Open311Case(ctx, service.Open311Reader{Staff: true}, atoi(id))
		if d["status"] != "open" || d["service_code"] != "E0405" || d["agency_responsible"] != ref.OrgName(c.UnitID) || d["address"] != "乐坪大道18号" ||
			!strings.HasSuffix(d["requested_datetime"].(string), "+08:00") || d["description"] != "井盖不见了，晚上很危险" {
			t.Fatalf("request: %s", r.raw)
		}
		if math.Abs(d["lat"].(float64)-lat) > 1e-9 || math.Abs(d["long"].(float64)-lng) > 1e-9 {
			t.Errorf("lat/long %v/%v, want %v/%v", d["lat"], d["long"], lat, lng)
		}
		for _, secret := range []string{"13812345678", "liu@example.cn", "刘小梅", "dev-1", c.Receipt} {
			if bytes.Contains(r.raw, []byte(secret)) {
				t.Errorf("request document shows %q", secret)
			}
		}
		r = h.open311(t, "GET", "requests/"+id+".json?extensions=true&api_key="+staff, "requests", nil, "")
		ext := jsonList(t, r.raw)[0]["extended_attributes"].(map[string]any)
		if ext["channel"] != "open311" || len(ext["notes"].([]any)) != 1 || len(ext["attributes"].([]any)) != 3 {
			t.Fatalf("extensions: %s", r.raw)
		}
		rx := h.open311(t, "GET", "requests/"+id+".xml?extensions=true&api_key="+staff, "requests", nil, "")
		var doc struct {
			Requests []struct {
				ID     string `xml:"service_request_id"`
				Status string `xml:"status"`
				Lat    float64
				Ext    struct {
					Channel string `xml:"channel"`
				} `xml:"extended_attributes"`
			} `xml:"request"`
		}
		if err := xml.Unmarshal(rx.raw, &doc); err != nil || len(doc.Requests) != 1 || doc.Requests[0].ID != id || doc.Requests[0].Ext.Channel != "open311" {
			t.Fatalf("request xml: %v %s", err, rx.raw)
		}
	})

	t.Run("multipart media and coord", func(t *testing.T) {
		glat, glng := geo.FromWGS84(lat, lng, geo.GCJ02)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"api_key": key, "service_code": "E0102", "lat": fmt.Sprint(glat), "long": fmt.Sprint(glng),
			"coord": "gcj02", "description": "小区门口垃圾堆了三天", "media_url": "https://img.example.cn/a.jpg"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("media[]", "photo.png")
		fw.Write(pngBytes(t))
		mw.Close()
		r := h.open311(t, "POST", "requests.json", "created", body.Bytes(), mw.FormDataContentType())
		if r.status != 201 {
			t.Fatalf("multipart: %d %s", r.status, r.raw)
		}
		mid := jsonList(t, r.raw)[0]["service_request_id"].(string)
		g := h.open311(t, "GET", "requests/"+mid+".json?extensions=true&api_key="+staff, "requests", nil, "")
		d := jsonList(t, g.raw)[0]
		if math.Abs(d["lat"].(float64)-lat) > 1e-5 || math.Abs(d["long"].(float64)-lng) > 1e-5 {
			t.Errorf("gcj02 input stored as %v/%v, want WGS-84 %v/%v", d["lat"], d["long"], lat, lng)
		}
		urls := d["extended_attributes"].(map[string]any)["media_urls"].([]any)
		if d["media_url"] != "https://img.example.cn/a.jpg" || len(urls) != 2 {
			t.Fatalf("media: %s", g.raw)
		}
		// Media of a case nobody accepted: not for anyone, only for the
		// staff key.
		res, err := http.Get(urls[1].(string))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Fatalf("media of an unaccepted case without a key: %d", res.StatusCode)
		}
		res, err = http.Get(urls[1].(string) + "?api_key=" + staff)
		if err != nil {
			t.Fatal(err)
		}
		img, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(img, pngBytes(t)) {
			t.Fatalf("media %s: %d %s", urls[1], res.StatusCode, res.Header.Get("Content-Type"))
		}
		g = h.open311(t, "GET", "requests/"+mid+".json?coord=gcj02&api_key="+staff, "requests", nil, "")
		d = jsonList(t, g.raw)[0]
		if math.Abs(d["lat"].(float64)-glat) > 1e-5 || math.Abs(d["long"].(float64)-glng) > 1e-5 {
			t.Errorf("coord=gcj02 gives %v/%v, want %v/%v", d["lat"], d["long"], glat, glng)
		}
	})

	t.Run("list, status and updates", func(t *testing.T) {
		operator := h.login("operator1")
		r := h.do("POST", "/api/v1/cases/"+id+"/actions/accept", operator, map[string]any{"version": 1, "note": "已受理，通知城管处置"})
		if r.status != 200 {
			t.Fatalf("accept: %d %s", r.status, r.raw)
		}
		g := h.open311(t, "GET", "requests/"+id+".json?extensions=true", "requests", nil, "")
		d := jsonList(t, g.raw)[0]
		if d["status_notes"] != "已受理，通知城管处置" || len(d["extended_attributes"].(map[string]any)["notes"].([]any)) != 2 {
			t.Fatalf("after accept: %s", g.raw)
		}
		all := h.open311(t, "GET", "requests.json", "requests", nil, "")
		list := jsonList(t, all.raw)
		terminal := h.app.Service.TerminalStates()
		published := h.app.Service.PublishedStates()
		for _, d := range list {
			c, err := h.app.Store.Case(ctx, atoi(d["service_request_id"].(string)))
			if err != nil {
				t.Fatal(err)
			}
			want := "open"
			if slices.Contains(terminal, c.Status) {
				want = "closed"
			}
			if d["status"] != want {
				t.Errorf("case %d in state %s shown %v", c.ID, c.Status, d["status"])
			}
			if cat := ref.Categories[c.CategoryID]; !cat.Public {
				t.Errorf("case %d of non-public category %s listed", c.ID, cat.Code)
			}
			if !slices.Contains(published[c.Type], c.Status) {
				t.Errorf("case %d in state %s (not accepted) listed to anyone", c.ID, c.Status)
			}
		}
		if !slices.ContainsFunc(list, func(d map[string]any) bool { return d["service_request_id"] == id }) {
			t.Fatal("new request not listed")
		}
		allx := h.open311(t, "GET", "requests.xml", "requests", nil, "")
		if n := bytes.Count(allx.raw, []byte("<request>")); n != len(list) {
			t.Fatalf("XML lists %d requests, JSON %d", n, len(list))
		}
		for _, q := range []string{"status=open", "status=closed", "status=open,closed", "service_code=E0405", "service_code=E0405,0105&extensions=true"} {
			h.open311(t, "GET", "requests.json?"+q, "requests", nil, "")
			h.open311(t, "GET", "requests.xml?"+q, "requests", nil, "")
		}

		u := h.open311(t, "GET", "servicerequestupdates.json", "updates", nil, "")
		ups := jsonList(t, u.raw)
		if !slices.ContainsFunc(ups, func(x map[string]any) bool {
			return x["service_request_id"] == id && x["status"] == "investigating" && x["description"] == "已受理，通知城管处置"
		}) {
			t.Fatalf("updates lack the accept: %s", u.raw)
		}
		h.open311(t, "GET", "servicerequestupdates.xml", "updates", nil, "")

		p := h.open311(t, "POST", "servicerequestupdates.json", "updates", form("api_key", key, "service_request_id", id, "update_id", "fms-77",
			"status", "OPEN", "description", "井盖还没补上", "updated_datetime", "2026-05-02T09:00:00+08:00", "first_name", "Ann", "last_name", "Lee"), formType)
		first := jsonList(t, p.raw)
		if p.status != 201 || first[0]["update_id"] == "" {
			t.Fatalf("post update: %d %s", p.status, p.raw)
		}
		p = h.open311(t, "POST", "servicerequestupdates.xml", "updates", form("api_key", key, "service_request_id", id, "update_id", "fms-77",
			"description", "井盖还没补上"), formType)
		if p.status != 200 || !bytes.Contains(p.raw, []byte("<update_id>"+first[0]["update_id"].(string)+"</update_id>")) {
			t.Fatalf("repeated update: %d %s", p.status, p.raw)
		}
		if got, _ := h.app.Service.Open311Updates(ctx, atoi(id)); len(got) != 1 || got[0].Name != "Ann Lee" {
			t.Fatalf("stored updates %+v", got)
		}
	})
}

func atoi(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}
