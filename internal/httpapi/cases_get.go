package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// pathID reads a positive integer path value; ok is false when it is not one.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

func (a *API) getCase(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	u := user(r)
	c, tl, err := a.svc.Case(r.Context(), u, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.caseView(u, c, tl))
}

// listCases serves GET /api/v1/cases?status=a,b&unit=&street=&grid=&type=&limit=&page_token=
// newest first with keyset paging: page_token is an opaque cursor.
func (a *API) listCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := model.CaseFilter{Type: q.Get("type")}
	bad := map[string]service.FieldError{}
	if s := q.Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			f.Status = append(f.Status, model.State(strings.TrimSpace(st)))
		}
	}
	for name, dst := range map[string]*int64{"unit": &f.UnitID, "street": &f.StreetID, "grid": &f.GridID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				bad[name] = service.FieldError{Key: "field.wrong_type"}
			}
			*dst = n
		}
	}
	f.Limit = 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			bad["limit"] = service.FieldError{Key: "field.wrong_type"}
		}
		f.Limit = n
	}
	if v := q.Get("page_token"); v != "" {
		after, err := decodeCursor(v)
		if err != nil {
			bad["page_token"] = service.FieldError{Key: "field.wrong_type"}
		}
		f.AfterID = after
	}
	if len(bad) > 0 {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", bad)
		return
	}
	u := user(r)
	// One extra row tells whether there is a next page.
	want := f.Limit
	f.Limit++
	cases, err := a.svc.ListCases(r.Context(), u, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Cases []caseView `json:"cases"`
		Next  string     `json:"next_page_token,omitempty"`
	}{Cases: []caseView{}}
	if len(cases) > want {
		cases = cases[:want]
		out.Next = encodeCursor(cases[want-1].ID)
	}
	for _, c := range cases {
		out.Cases = append(out.Cases, a.caseView(u, c, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c:" + itoa(id)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "c:") {
		return 0, strconv.ErrSyntax
	}
	id, err := strconv.ParseInt(string(b[2:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, strconv.ErrSyntax
	}
	return id, nil
}

// track is the citizen's view by receipt code: status and a public timeline,
// no names and no reporter.
func (a *API) track(w http.ResponseWriter, r *http.Request) {
	c, tl, err := a.svc.CaseByReceipt(r.Context(), r.PathValue("receipt"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.caseView(model.User{}, c, tl)
	v.Reporter, v.Lat, v.Lng = nil, 0, 0
	v.Fields, v.OwnerID, v.Extension = nil, 0, nil // type fields may name people
	for i := range v.Timeline {
		v.Timeline[i].Actor, v.Timeline[i].Data = "", nil
	}
	writeJSON(w, http.StatusOK, v)
}
