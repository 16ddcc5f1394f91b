package web

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// The machine-event sources (视频/物联感知接入): video-analytics and IoT
// platforms that post to POST /api/v1/events with a key of their own. The
// same service as `yiwang eventsource add|list|revoke`. A new key is shown
// once, in the answer to the form's POST: it is never put in an address
// (a redirect would need it there, or kept on the server), and only its
// hash is stored.

const (
	sourcesPath = "/admin/sources"
	// maxMapLines bounds the type map a form may carry.
	maxMapLines = 200
)

type sourceRow struct {
	ID            int64
	Code, Name    string
	Kind          string
	KeyPrefix     string
	MinConfidence string
	Window        string
	Distance      string
	NoteEvery     int
	Map           []mapRow
	Created       time.Time
	Revoked       time.Time
	Waiting       int
	ReviewURL     string // the review queue of this source, "" when it has nothing waiting
}

type mapRow struct {
	Type, Code, Category string // Category "" when the code is no longer a leaf category
}

// sourceForm is the add form, blank (with the defaults) or as submitted
// with its errors.
type sourceForm struct {
	Code, Name, Kind                       string
	MinConfidence, Window, Distance, Every string
	TypeMap                                string
	Errors                                 map[string]string
}

// newSource is what the page shows right after an add: the key, once.
type newSource struct {
	Code, Name string
	Key        string
}

type sourcesView struct {
	Rows    []sourceRow
	Form    sourceForm
	New     *newSource
	Revoked string // the message after a revocation
	// revokedID is the source the address says was revoked; the message
	// shows only if it is (an edited address claims nothing).
	revokedID int64
}

func blankSourceForm() sourceForm {
	return sourceForm{Kind: service.SourceVideo, MinConfidence: fnum(service.DefaultMinConfidence),
		Window: fnum(service.DefaultFoldWindow.Minutes()), Distance: fnum(service.DefaultFoldDistanceM),
		Every: strconv.Itoa(service.DefaultNoteEvery)}
}

func fnum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// adminSources lists the sources with the add form.
func (w *Web) adminSources(rw http.ResponseWriter, r *http.Request, q *req) {
	v := sourcesView{Form: blankSourceForm()}
	v.revokedID, _ = strconv.ParseInt(r.URL.Query().Get("revoked"), 10, 64)
	w.sourcesPage(rw, r, q, http.StatusOK, v)
}

// adminSourceAdd registers a source from the form and shows its key once.
func (w *Web) adminSourceAdd(rw http.ResponseWriter, r *http.Request, q *req) {
	f := sourceForm{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"),
		MinConfidence: strings.TrimSpace(r.PostFormValue("min_confidence")), Window: strings.TrimSpace(r.PostFormValue("window")),
		Distance: strings.TrimSpace(r.PostFormValue("distance")), Every: strings.TrimSpace(r.PostFormValue("note_every")),
		TypeMap: r.PostFormValue("type_map"), Errors: map[string]string{}}
	// The audit entry (written by the middleware) names the administrator
	// and the source, never the key.
	rec := audit.FromContext(r.Context())
	rec.Detail = "event source add code=" + strings.TrimSpace(f.Code)
	in, lines := w.parseSourceForm(q.lang, &f)
	if len(f.Errors) > 0 {
		// Nothing reaches the service, so nothing is written.
		w.sourcesPage(rw, r, q, http.StatusUnprocessableEntity, sourcesView{Form: f})
		return
	}
	key, src, err := w.svc.AdminCreateEventSource(r.Context(), q.user, in)
	if err != nil {
		fe := w.sourceErrors(q.lang, err, lines)
		if fe == nil {
			w.fail(rw, r, q, err)
			return
		}
		f.Errors = fe
		w.sourcesPage(rw, r, q, http.StatusUnprocessableEntity, sourcesView{Form: f})
		return
	}
	rec.Detail = "event source add id=" + strconv.FormatInt(src.ID, 10) + " code=" + src.Code + " prefix=" + src.KeyPrefix
	// The key goes into this answer alone (no-store, like every page).
	w.sourcesPage(rw, r, q, http.StatusOK, sourcesView{Form: blankSourceForm(), New: &newSource{Code: src.Code, Name: src.Name, Key: key}})
}

// adminSourceRevoke revokes a source's key; its posts are refused (403)
// at once on this node.
func (w *Web) adminSourceRevoke(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	rec := audit.FromContext(r.Context())
	rec.Detail = "event source revoke id=" + strconv.FormatInt(id, 10)
	src, err := w.svc.AdminRevokeEventSource(r.Context(), q.user, id)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	rec.Detail += " code=" + src.Code
	w.redirect(rw, r, sourcesPath+"?revoked="+strconv.FormatInt(src.ID, 10))
}

// parseSourceForm reads the form's numbers and type map into the service's
// input; what cannot be read is a field error. Empty numbers take the
// defaults. lines maps each event type to its line for the service's
// errors.
func (w *Web) parseSourceForm(lang string, f *sourceForm) (service.NewEventSource, map[string]int) {
	in := service.NewEventSource{Code: f.Code, Name: f.Name, Kind: f.Kind}
	if strings.TrimSpace(f.Code) == "" {
		f.Errors["code"] = w.i18n.T(lang, "field.required")
	}
	// The service takes 0 for "the default", so a typed 0 would silently
	// become the default: refuse it here.
	num := func(s, field, rangeKey string, max float64) float64 {
		if s == "" {
			return 0
		}
		x, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange):
			f.Errors[field] = w.i18n.T(lang, "field.number_format")
		case err != nil, math.IsNaN(x), x <= 0, x > max:
			f.Errors[field] = w.i18n.T(lang, rangeKey)
		}
		return x
	}
	in.MinConfidence = num(f.MinConfidence, "min_confidence", "web.sources.confidence_range", 1)
	if m := num(f.Window, "window", "web.sources.window_range", 24*60); m > 0 && f.Errors["window"] == "" {
		in.FoldWindow = time.Duration(math.Round(m*60)) * time.Second
		if in.FoldWindow < time.Second {
			f.Errors["window"] = w.i18n.T(lang, "web.sources.window_range")
		}
	}
	in.FoldDistanceM = num(f.Distance, "distance", "web.sources.distance_range", 10000)
	if f.Every != "" {
		n, err := strconv.Atoi(f.Every)
		switch {
		case err != nil:
			f.Errors["note_every"] = w.i18n.T(lang, "field.not_integer")
		case n < 1 || n > 1_000_000:
			f.Errors["note_every"] = w.i18n.T(lang, "field.out_of_range", 1, 1_000_000)
		}
		in.NoteEvery = n
	}
	m, lines, msg := parseTypeMap(f.TypeMap)
	if msg != nil {
		f.Errors["type_map"] = w.i18n.T(lang, msg.key, msg.args...)
	}
	in.TypeMap = m
	return in, lines
}

type mapError struct {
	key  string
	args []any
}

// parseTypeMap reads lines of event_type=category_code; blank lines are
// skipped. It stops at the first bad line.
func parseTypeMap(s string) (map[string]string, map[string]int, *mapError) {
	m, lines := map[string]string{}, map[string]int{}
	n := 0
	for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if n++; n > maxMapLines {
			return nil, nil, &mapError{"field.too_many", []any{maxMapLines}}
		}
		typ, code, ok := strings.Cut(line, "=")
		typ, code = strings.TrimSpace(typ), strings.TrimSpace(code)
		if !ok || typ == "" || code == "" || strings.Contains(code, "=") {
			return nil, nil, &mapError{"web.sources.map_line", []any{i + 1, line}}
		}
		if first, dup := lines[typ]; dup {
			return nil, nil, &mapError{"web.sources.map_duplicate", []any{i + 1, typ, first}}
		}
		m[typ], lines[typ] = code, i+1
	}
	return m, lines, nil
}

// sourceErrors translates the service's refusal into the form's fields:
// its messages for the code and the numbers are said in the form's terms,
// and every unknown category of the type map is named in one message.
func (w *Web) sourceErrors(lang string, err error, lines map[string]int) map[string]string {
	var ve *service.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	var unknown []string
	for field, fe := range ve.Fields {
		switch {
		case field == "code" && fe.Key == "field.wrong_type":
			out[field] = w.i18n.T(lang, "web.sources.code_format")
		case field == "code" && fe.Key == "field.duplicate":
			out[field] = w.i18n.T(lang, "web.sources.code_taken")
		case field == "min_confidence":
			out[field] = w.i18n.T(lang, "web.sources.confidence_range")
		case field == "window":
			out[field] = w.i18n.T(lang, "web.sources.window_range")
		case field == "distance":
			out[field] = w.i18n.T(lang, "web.sources.distance_range")
		case strings.HasPrefix(field, "map."):
			unknown = append(unknown, strings.TrimPrefix(field, "map."))
		default:
			out[field] = w.i18n.T(lang, fe.Key, fe.Args...)
		}
	}
	if len(unknown) > 0 {
		// In the order of the lines.
		slices.SortFunc(unknown, func(a, b string) int { return lines[a] - lines[b] })
		names := make([]string, len(unknown))
		for i, typ := range unknown {
			names[i] = w.i18n.T(lang, "web.sources.map_line_ref", lines[typ], typ)
		}
		out["type_map"] = w.i18n.T(lang, "web.sources.map_unknown", strings.Join(names, w.i18n.T(lang, "web.sources.list_sep")))
	}
	return out
}

// sourcesPage renders the list and the form.
func (w *Web) sourcesPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v sourcesView) {
	srcs, err := w.svc.AdminEventSources(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	ref := w.svc.Ref()
	for _, s := range srcs {
		row := sourceRow{ID: s.ID, Code: s.Code, Name: s.Name, Kind: s.Kind, KeyPrefix: s.KeyPrefix,
			MinConfidence: fnum(s.MinConfidence), Window: w.i18n.T(q.lang, "web.sources.minutes", fnum(s.FoldWindow.Minutes())),
			Distance: fnum(s.FoldDistanceM), NoteEvery: s.NoteEvery, Created: s.CreatedAt, Revoked: s.RevokedAt, Waiting: s.Waiting}
		if s.Waiting > 0 && w.intake != nil {
			row.ReviewURL = reviewPath + "?source=" + strconv.FormatInt(s.ID, 10)
		}
		for typ, code := range s.TypeMap {
			mr := mapRow{Type: typ, Code: code}
			if c, ok := ref.ByCode[code]; ok && ref.IsLeaf(c.ID) {
				mr.Category = w.categoryName(q.lang, c.ID)
			}
			row.Map = append(row.Map, mr)
		}
		slices.SortFunc(row.Map, func(a, b mapRow) int { return strings.Compare(a.Type, b.Type) })
		if s.ID == v.revokedID && !s.RevokedAt.IsZero() {
			v.Revoked = w.i18n.T(q.lang, "web.sources.revoked_done", s.Name, s.Code)
		}
		v.Rows = append(v.Rows, row)
	}
	// Newest first: the one just added is on top.
	slices.SortFunc(v.Rows, func(a, b sourceRow) int { return cmp.Compare(b.ID, a.ID) })
	p := w.newPage(q, "web.sources.title", "admin")
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.sources.not_added")
	}
	p.Data = v
	w.render(rw, r, status, "admin_sources", p)
}
