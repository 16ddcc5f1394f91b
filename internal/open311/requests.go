package open311

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// view holds what turning cases into documents needs for one response.
type view struct {
	h        *Handler
	r        *http.Request
	rd       service.Open311Reader
	lang     string
	sys      geo.CoordSys
	ext      bool
	base     string
	terminal []model.State
	tl       map[int64][]model.Event
	extras   map[int64]store.Open311Request
}

// newView loads the timelines and Open311 extras of cases.
func (h *Handler) newView(r *http.Request, rd service.Open311Reader, cases []model.Case, sys geo.CoordSys, ext bool) (*view, error) {
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	v := &view{h: h, r: r, rd: rd, lang: lang(r), sys: sys, ext: ext, base: baseURL(r), terminal: h.svc.TerminalStates()}
	var err error
	if v.tl, err = h.svc.Open311Timelines(r.Context(), rd, ids); err != nil {
		return nil, err
	}
	if v.extras, err = h.svc.Open311Extras(r.Context(), ids); err != nil {
		return nil, err
	}
	return v, nil
}

// status maps a state to Open311's open/closed: a terminal state of any
// workflow is closed.
func (v *view) status(s model.State) string {
	if slices.Contains(v.terminal, s) {
		return "closed"
	}
	return "open"
}

// actionLabel is the label of a timeline entry's action in the viewer's
// language.
func (v *view) actionLabel(c model.Case, action string) string {
	if def, ok := v.h.svc.Workflows().Get(c.Type, c.DefVersion); ok {
		if a, ok := def.Action(action); ok {
			if v.lang == "en" && a.LabelEn != "" {
				return a.LabelEn
			}
			return a.Label
		}
	}
	if action == "create" {
		return v.h.i18n.T(v.lang, "open311.note_created")
	}
	return action
}

func (v *view) mediaURLs(c model.Case) []string {
	x := v.extras[c.ID]
	out := []string{}
	if x.MediaURL != "" {
		out = append(out, x.MediaURL)
	}
	for i := range x.Media {
		out = append(out, fmt.Sprintf("%s/open311/v2/media/%d/%d", v.base, c.ID, i))
	}
	return out
}

func (v *view) doc(c model.Case) requestDoc {
	ref := v.h.svc.Ref()
	cat := ref.Categories[c.CategoryID]
	name := cat.Name
	if v.lang == "en" && cat.NameEn != "" {
		name = cat.NameEn
	}
	d := requestDoc{
		ServiceRequestID: strconv.FormatInt(c.ID, 10), Status: v.status(c.Status), ServiceName: nstr(name), ServiceCode: cat.Code,
		Description: nstr(c.Description), AgencyResponsible: nstr(ref.OrgName(c.UnitID)),
		RequestedDatetime: w3c(c.CreatedAt), UpdatedDatetime: w3c(c.UpdatedAt), ExpectedDatetime: w3c(c.DueAt),
		Address: nstr(c.Address), AddressID: nstr(v.extras[c.ID].AddressID),
	}
	if !v.rd.Staff {
		// The register's id names the exact building.
		d.AddressID = ""
	}
	if c.Lat != 0 || c.Lng != 0 {
		lat, lng := geo.FromWGS84(c.Lat, c.Lng, v.sys)
		d.Lat, d.Long = &lat, &lng
	}
	tl := v.tl[c.ID]
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i].Note != "" {
			d.StatusNotes = nstr(tl[i].Note)
			break
		}
	}
	if urls := v.mediaURLs(c); len(urls) > 0 {
		d.MediaURL = nstr(urls[0])
	}
	if v.ext {
		e := &extendedDoc{Channel: string(c.Channel), State: string(c.Status), Notes: []noteDoc{}, Answers: []answerDoc{}, MediaURLs: v.mediaURLs(c)}
		if c.MasterID != 0 {
			e.Parent = nstr(strconv.FormatInt(c.MasterID, 10))
			if c.Status == model.StateMerged {
				e.Duplicate = e.Parent
			}
		}
		for _, ev := range tl {
			e.Notes = append(e.Notes, noteDoc{Datetime: w3c(ev.At), Type: "status", Summary: v.actionLabel(c, ev.Action),
				Status: v.status(ev.ToState), Description: nstr(ev.Note)})
		}
		answers := v.extras[c.ID].Attributes
		codes := make([]string, 0, len(answers))
		for code := range answers {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			vals := answers[code]
			if !v.rd.Staff {
				// A string or text answer is the citizen's words too.
				vals = slices.Clone(vals)
				for i := range vals {
					vals[i] = service.PublicText(vals[i])
				}
			}
			e.Answers = append(e.Answers, answerDoc{Code: code, Values: vals})
		}
		d.Extended = e
	}
	return d
}

// coordSys reads the coord extension parameter.
func (h *Handler) coordSys(w http.ResponseWriter, r *http.Request, format string, q url.Values) (geo.CoordSys, bool) {
	sys, err := geo.ParseCoordSys(q.Get("coord"))
	if err != nil {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "coord")
		return "", false
	}
	return sys, true
}

// window is the time and paging part of a list query.
type window struct {
	from, to                    time.Time
	updatedAfter, updatedBefore time.Time
	limit, offset, page, size   int
}

// readWindow reads start_date, end_date, updated_after, updated_before,
// page and page_size. Without any date the window is the last 90 days
// (DefaultWindow); with one of start/end it spans 90 days from it; both
// may not be further apart. updated_after/updated_before alone filter by
// the last change without a default window. A page holds at most 1000.
func (h *Handler) readWindow(w http.ResponseWriter, r *http.Request, format string, q url.Values) (window, bool) {
	var win window
	times := map[string]*time.Time{"start_date": &win.from, "end_date": &win.to, "updated_after": &win.updatedAfter, "updated_before": &win.updatedBefore}
	for _, name := range []string{"start_date", "end_date", "updated_after", "updated_before"} {
		if s := q.Get(name); s != "" {
			t, err := service.ParseW3C(s)
			if err != nil {
				h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", name)
				return win, false
			}
			*times[name] = t
		}
	}
	switch {
	case win.from.IsZero() && win.to.IsZero():
		if win.updatedAfter.IsZero() && win.updatedBefore.IsZero() {
			win.to = h.now()
			win.from = win.to.Add(-DefaultWindow)
		}
	case win.to.IsZero():
		win.to = win.from.Add(DefaultWindow)
	case win.from.IsZero():
		win.from = win.to.Add(-DefaultWindow)
	default:
		if win.to.Before(win.from) {
			h.errorf(w, r, format, http.StatusBadRequest, "open311.date_order")
			return win, false
		}
		if win.to.Sub(win.from) > DefaultWindow {
			h.errorf(w, r, format, http.StatusBadRequest, "open311.date_range", int(DefaultWindow.Hours()/24))
			return win, false
		}
	}
	if !win.to.IsZero() {
		win.to = win.to.Add(time.Millisecond) // end_date is the latest time included
	}
	if !win.updatedAfter.IsZero() && !win.updatedBefore.IsZero() && !win.updatedAfter.Before(win.updatedBefore) {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.date_order")
		return win, false
	}
	win.page, win.size = 1, MaxResults
	for name, dst := range map[string]*int{"page": &win.page, "page_size": &win.size} {
		if s := q.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || (name == "page_size" && n > MaxResults) || (name == "page" && n > 1_000_000) {
				h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", name)
				return win, false
			}
			*dst = n
		}
	}
	win.limit, win.offset = win.size, (win.page-1)*win.size
	return win, true
}

// pageHeaders tells the total and links the next page.
func pageHeaders(w http.ResponseWriter, r *http.Request, win window, total int) {
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if win.offset+win.limit < total {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(win.page+1))
		q.Set("page_size", strconv.Itoa(win.size))
		w.Header().Set("Link", "<"+baseURL(r)+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
}

// listRequests serves GET requests.{fmt}.
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, format string) {
	q := r.URL.Query()
	_, street, ok := h.jurisdiction(w, r, format, q.Get("jurisdiction_id"))
	if !ok {
		return
	}
	k, ok := h.apiKey(w, r, format, q.Get("api_key"), false)
	if !ok {
		return
	}
	rd := service.Open311ReaderOf(k)
	sys, ok := h.coordSys(w, r, format, q)
	if !ok {
		return
	}
	f := store.Open311Filter{StreetID: street}
	var win window
	if ids := q.Get("service_request_id"); ids != "" {
		// The spec: with service_request_id every other query parameter
		// but jurisdiction_id is ignored.
		for s := range strings.SplitSeq(ids, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || id <= 0 || len(f.IDs) >= MaxResults {
				h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "service_request_id")
				return
			}
			f.IDs = append(f.IDs, id)
		}
		win = window{limit: MaxResults, page: 1, size: MaxResults}
	} else {
		if codes := q.Get("service_code"); codes != "" {
			all, err := h.svc.Open311Services(r.Context())
			if err != nil {
				h.fail(w, r, format, err)
				return
			}
			for code := range strings.SplitSeq(codes, ",") {
				code = strings.TrimSpace(code)
				i := slices.IndexFunc(all, func(s service.Open311Service) bool { return s.Category.Code == code })
				if i < 0 {
					h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_service", code)
					return
				}
				f.CategoryIDs = append(f.CategoryIDs, all[i].Category.ID)
			}
		}
		if st := q.Get("status"); st != "" {
			terminal := h.svc.TerminalStates()
			open, closed := false, false
			for s := range strings.SplitSeq(st, ",") {
				switch strings.ToLower(strings.TrimSpace(s)) {
				case "open":
					open = true
				case "closed":
					closed = true
				default:
					h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "status")
					return
				}
			}
			if open != closed {
				f.Statuses = h.statesFor(open, terminal)
			}
		}
		if win, ok = h.readWindow(w, r, format, q); !ok {
			return
		}
		f.From, f.To, f.UpdatedAfter, f.UpdatedBefore = win.from, win.to, win.updatedAfter, win.updatedBefore
	}
	f.Limit, f.Offset = win.limit, win.offset
	cases, total, err := h.svc.Open311Cases(r.Context(), rd, f)
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	v, err := h.newView(r, rd, cases, sys, q.Get("extensions") == "true")
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	docs := make([]requestDoc, 0, len(cases))
	for _, c := range cases {
		docs = append(docs, v.doc(c))
	}
	pageHeaders(w, r, win, total)
	write(w, format, http.StatusOK, requestsXML{Requests: docs}, docs)
}

// statesFor lists the states Open311's open (or closed) stands for: the
// terminal states for closed, every other state of any workflow for open.
func (h *Handler) statesFor(open bool, terminal []model.State) []model.State {
	if !open {
		return terminal
	}
	var out []model.State
	for _, d := range h.svc.Workflows().All() {
		for _, s := range d.States {
			st := model.State(s.Name)
			if !slices.Contains(terminal, st) && !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	if len(out) == 0 {
		out = []model.State{"-"} // matches nothing
	}
	return out
}

// getRequest serves GET requests/{id}.{fmt}.
func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request) {
	idStr, format, ok := split(r.PathValue("file"))
	if !ok {
		h.notFound(w, r, format)
		return
	}
	q := r.URL.Query()
	if _, _, ok := h.jurisdiction(w, r, format, q.Get("jurisdiction_id")); !ok {
		return
	}
	k, ok := h.apiKey(w, r, format, q.Get("api_key"), false)
	if !ok {
		return
	}
	rd := service.Open311ReaderOf(k)
	sys, ok := h.coordSys(w, r, format, q)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil || id <= 0 {
		h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_request", idStr)
		return
	}
	c, err := h.svc.Open311Case(r.Context(), rd, id)
	if err == service.ErrNotFound {
		h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_request", idStr)
		return
	}
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	v, err := h.newView(r, rd, []model.Case{c}, sys, q.Get("extensions") == "true")
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	docs := []requestDoc{v.doc(c)}
	write(w, format, http.StatusOK, requestsXML{Requests: docs}, docs)
}

// getToken serves GET tokens/{token}.{fmt}.
func (h *Handler) getToken(w http.ResponseWriter, r *http.Request) {
	token, format, ok := split(r.PathValue("file"))
	if !ok {
		h.notFound(w, r, format)
		return
	}
	if _, _, ok := h.jurisdiction(w, r, format, r.URL.Query().Get("jurisdiction_id")); !ok {
		return
	}
	id, err := h.svc.Open311Token(r.Context(), token)
	if err == service.ErrNotFound {
		h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_token", token)
		return
	}
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	docs := []tokenDoc{{ServiceRequestID: strconv.FormatInt(id, 10), Token: token}}
	write(w, format, http.StatusOK, tokensXML{Requests: docs}, docs)
}

// getMedia serves a file uploaded with an Open311 request (media[]): the
// submitter published it with a public report. Like the request itself,
// it is there for anyone only once staff accepted the case; before, only
// for a staff-scope key (api_key in the query).
func (h *Handler) getMedia(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseInt(r.PathValue("case"), 10, 64)
	n, err2 := strconv.Atoi(r.PathValue("n"))
	if err1 != nil || err2 != nil || n < 0 {
		h.notFound(w, r, "xml")
		return
	}
	k, ok := h.apiKey(w, r, "xml", r.URL.Query().Get("api_key"), false)
	if !ok {
		return
	}
	rd := service.Open311ReaderOf(k)
	if _, err := h.svc.Open311Case(r.Context(), rd, id); err != nil {
		h.fail(w, r, "xml", err)
		return
	}
	ex, err := h.svc.Open311Extras(r.Context(), []int64{id})
	if err != nil {
		h.fail(w, r, "xml", err)
		return
	}
	media := ex[id].Media
	if n >= len(media) {
		h.notFound(w, r, "xml")
		return
	}
	att, f, err := h.svc.OpenOpen311Media(r.Context(), rd, id, media[n])
	if err != nil {
		h.fail(w, r, "xml", err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", att.Mime)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	if !strings.HasPrefix(att.Mime, "image/") {
		w.Header().Set("Content-Disposition", "attachment")
	}
	http.ServeContent(w, r, "", att.CreatedAt, f)
}
