package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// newCasePath is the staff's case-entry form (登记案件).
const newCasePath = "/work/new"

// staffChannels are the channels staff may say a case came in by; the
// citizen's app and Open311 are the citizens' own.
var staffChannels = []model.Channel{model.ChannelHotline, model.ChannelPatrol, model.ChannelInspection,
	model.ChannelSupervisor, model.ChannelVideo, model.ChannelWeb}

// newCaseForm is the staff's case-entry form, blank or as submitted with
// its errors. What it shows follows the chosen case type's definition:
// whether it has a category and a place, and its own fields.
type newCaseForm struct {
	Types       []typeTab
	Type        string
	TypeName    string
	HasCategory bool // the type takes a category
	CatRequired bool
	HasLocation bool // the type takes a place
	LocRequired bool
	Groups      []catGroup
	Category    string
	Description string
	Lat, Lng    string
	Coord       string
	Address     string
	Channel     string
	Channels    []option
	Observed    string // 发现时间 as typed (datetime-local, China time)
	Name, Phone string
	Anonymous   bool
	Fields      []fieldInput
	Idem        string
	Errors      map[string]string
	MaxPhotos   int
	MaxLen      int
}

// typeTab is a case type the user may create, as a link to its form.
type typeTab struct {
	Value, Label, URL string
	Selected          bool
}

// fieldInput is one of a case type's own fields as a form control.
type fieldInput struct {
	Name     string // form field name: "f." + the field's name
	ID       string
	Label    string
	Control  string // text, textarea, number, decimal, date, select, unit, checkbox
	Value    string
	Checked  bool
	Required bool
	MaxLen   int
	Min, Max string
	Options  []option   // select
	Groups   []optGroup // unit
	Error    string
}

// creatableTypes lists the case types role may create, latest versions,
// city cases and hotline orders first.
func (w *Web) creatableTypes(role model.Role) []*workflow.Definition {
	reg := w.svc.Workflows()
	var out []*workflow.Definition
	for _, t := range reg.Types() {
		d, ok := reg.Latest(t)
		if ok && d.MayCreate(role) && d.Visible(role) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b *workflow.Definition) int { return caseTypeRank(a.Type) - caseTypeRank(b.Type) })
	return out
}

// mayCreateCases reports whether role may create a case of any type: the
// inbox links the form for those roles.
func (w *Web) mayCreateCases(role model.Role) bool { return len(w.creatableTypes(role)) > 0 }

func defName(lang string, d *workflow.Definition) string {
	if lang == "en" && d.NameEn != "" {
		return d.NameEn
	}
	return d.Name
}

func fieldLabel(lang string, f workflow.Field) string {
	if lang == "en" && f.LabelEn != "" {
		return f.LabelEn
	}
	return f.Label
}

// createFieldsOf returns the fields of d that are set on create. Lists of
// records (a project's milestones) are entered later, through the API.
func createFieldsOf(d *workflow.Definition) []workflow.Field {
	var out []workflow.Field
	for _, f := range d.Fields {
		if !f.ActionOnly && f.Type != workflow.FieldList {
			out = append(out, f)
		}
	}
	return out
}

// newCasePage renders the form for the type in f.Type, which must be one
// of types.
func (w *Web) newCasePage(rw http.ResponseWriter, r *http.Request, q *req, status int, types []*workflow.Definition, f newCaseForm, values url.Values, flash string) {
	var def *workflow.Definition
	for _, d := range types {
		if d.Type == f.Type {
			def = d
		}
		f.Types = append(f.Types, typeTab{Value: d.Type, Label: defName(q.lang, d), Selected: d.Type == f.Type,
			URL: newCasePath + "?type=" + url.QueryEscape(d.Type)})
	}
	f.TypeName = defName(q.lang, def)
	f.HasCategory = def.CategoryPresence() != workflow.None
	f.CatRequired = def.CategoryPresence() == workflow.Required
	f.HasLocation = def.LocationPresence() != workflow.None
	f.LocRequired = def.LocationPresence() == workflow.Required
	if f.HasCategory {
		// Staff file any leaf of the type's categories, public or not.
		f.Groups = w.categoryGroups(q.lang, f.Category, func(c model.Category) bool {
			return def.CategoryType == "" || c.CaseType == def.CategoryType
		})
	}
	if f.Channel == "" {
		f.Channel = string(service.DefaultChannel(q.user.Role))
	}
	for _, c := range staffChannels {
		f.Channels = append(f.Channels, option{Value: string(c), Label: w.i18n.T(q.lang, "web.channel."+string(c)), Selected: string(c) == f.Channel})
	}
	if f.Coord == "" {
		f.Coord = "wgs84"
	}
	for _, fd := range createFieldsOf(def) {
		f.Fields = append(f.Fields, w.fieldInput(q.lang, fd, values, f.Errors))
	}
	f.MaxPhotos, f.MaxLen = service.MaxReportPhotos, service.MaxDescription
	p := w.newPage(q, "web.newcase.title", "inbox")
	p.Map = f.HasLocation
	p.Flash = flash
	if len(f.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "error.validation")
	}
	p.Data = f
	w.render(rw, r, status, "newcase", p)
}

// fieldInput builds the control of one typed field with the value sent
// (values nil: the blank form, with the field's default).
func (w *Web) fieldInput(lang string, fd workflow.Field, values url.Values, errs map[string]string) fieldInput {
	in := fieldInput{Name: "f." + fd.Name, ID: "f-" + fd.Name, Label: fieldLabel(lang, fd), Required: fd.Required,
		MaxLen: fd.MaxLen, Error: errs["fields."+fd.Name]}
	if values != nil {
		in.Value = values.Get(in.Name)
	} else if fd.Default != nil {
		in.Value = fmt.Sprint(fd.Default)
	}
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	switch fd.Type {
	case workflow.FieldText:
		in.Control = "textarea"
	case workflow.FieldInt:
		in.Control, in.Min, in.Max = "number", num(fd.Min), num(fd.Max)
	case workflow.FieldDecimal, workflow.FieldMoney:
		in.Control = "decimal"
	case workflow.FieldDate:
		in.Control = "date"
	case workflow.FieldBool:
		in.Control = "checkbox"
		in.Checked = in.Value == "1" || in.Value == "true"
	case workflow.FieldEnum:
		in.Control = "select"
		for _, v := range fd.Values {
			label := v.Label
			if lang == "en" && v.LabelEn != "" {
				label = v.LabelEn
			}
			in.Options = append(in.Options, option{Value: v.Value, Label: label, Selected: v.Value == in.Value})
		}
	case workflow.FieldUnit:
		in.Control = "unit"
		sel, _ := strconv.ParseInt(in.Value, 10, 64)
		in.Groups = w.unitOptions(lang, sel)
	default:
		in.Control = "text"
	}
	return in
}

// fieldValues reads the typed fields of def from the form as the service
// takes them: text as strings, numbers as json.Number, a ticked box as
// true. An empty control is left out (the service applies the default or
// says the field is required).
func (w *Web) fieldValues(lang string, def *workflow.Definition, r *http.Request, errs map[string]string) map[string]any {
	out := map[string]any{}
	for _, fd := range createFieldsOf(def) {
		v := strings.TrimSpace(r.PostFormValue("f." + fd.Name))
		if v == "" {
			continue
		}
		switch fd.Type {
		case workflow.FieldInt, workflow.FieldDecimal, workflow.FieldUnit:
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				errs["fields."+fd.Name] = w.i18n.T(lang, "field.number_format")
				continue
			}
			out[fd.Name] = json.Number(v)
		case workflow.FieldMoney:
			out[fd.Name] = v // the service reads yuan from text exactly
		case workflow.FieldBool:
			out[fd.Name] = v == "1" || v == "true"
		default:
			out[fd.Name] = v
		}
	}
	return out
}

// pickType returns the requested type when the user may create it, else
// the first the user may.
func pickType(types []*workflow.Definition, want string) string {
	for _, d := range types {
		if d.Type == want {
			return want
		}
	}
	return types[0].Type
}

// newCaseForm shows the blank case-entry form for the type in ?type=.
// A case filed outside what the user may view comes back here with
// ?filed= and a message saying so.
func (w *Web) newCaseForm(rw http.ResponseWriter, r *http.Request, q *req) {
	types := w.creatableTypes(q.user.Role)
	if len(types) == 0 {
		w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "web.newcase.none")
		return
	}
	qs := r.URL.Query()
	f := newCaseForm{Type: pickType(types, qs.Get("type")), Idem: newIdem(), Errors: map[string]string{}}
	var flash string
	if id, err := strconv.ParseInt(qs.Get("filed"), 10, 64); err == nil && id > 0 {
		flash = w.i18n.T(q.lang, "web.newcase.filed", id)
	}
	w.newCasePage(rw, r, q, http.StatusOK, types, f, nil, flash)
}

// newCaseSubmit files a case typed in by staff, with its photos, and sends
// the browser to the case page; a field error comes back next to its
// field with nothing written. A type the user may not create is refused
// by the service (403).
func (w *Web) newCaseSubmit(rw http.ResponseWriter, r *http.Request, q *req) {
	types := w.creatableTypes(q.user.Role)
	if len(types) == 0 {
		w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "web.newcase.none")
		return
	}
	f := newCaseForm{
		Type: strings.TrimSpace(r.PostFormValue("type")), Category: r.PostFormValue("category"), Description: r.PostFormValue("description"),
		Lat: strings.TrimSpace(r.PostFormValue("lat")), Lng: strings.TrimSpace(r.PostFormValue("lng")),
		Coord: r.PostFormValue("coord"), Address: r.PostFormValue("address"), Channel: r.PostFormValue("channel"),
		Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), Anonymous: r.PostFormValue("anonymous") == "1",
		Idem: r.PostFormValue("idem"), Errors: map[string]string{}, Observed: strings.TrimSpace(r.PostFormValue("observed_at")),
	}
	if len(f.Idem) != 32 {
		f.Idem = newIdem()
	}
	if f.Type == "" {
		f.Type = types[0].Type
	}
	def, ok := w.svc.Workflows().Latest(f.Type)
	if !ok {
		// An unknown type: the form comes back on the first type with the error.
		f.Type, def = types[0].Type, types[0]
		f.Errors["type"] = w.i18n.T(q.lang, "field.unknown_type")
	}
	in := service.CreateCase{Type: def.Type, Description: f.Description, Coord: f.Coord, Address: f.Address,
		Channel: model.Channel(f.Channel), Anonymous: f.Anonymous, IdempotencyKey: "web:" + f.Idem}
	if !f.Anonymous {
		in.Reporter = model.Reporter{Name: f.Name, Phone: f.Phone}
	}
	if f.Category != "" {
		if in.CategoryID, _ = strconv.ParseInt(f.Category, 10, 64); in.CategoryID <= 0 {
			f.Errors["category"] = w.i18n.T(q.lang, "field.unknown_category")
		}
	}
	w.parsePoint(q.lang, f.Lat, f.Lng, &in, f.Errors)
	if f.Observed != "" {
		// The browser's datetime-local control sends the wall time, read
		// as China time like every time the pages show.
		t, err := time.ParseInLocation("2006-01-02T15:04", f.Observed, calendar.Beijing())
		if err != nil {
			f.Errors["observed_at"] = w.i18n.T(q.lang, "field.wrong_type")
		}
		in.ObservedAt = t
	}
	in.Fields = w.fieldValues(q.lang, def, r, f.Errors)
	if len(f.Errors) > 0 {
		// The service is not asked when the form cannot be read: say here
		// what it would say of the required parts, so that every error
		// comes back at once.
		required := func(key string, missing bool) {
			if _, ok := f.Errors[key]; missing && !ok {
				f.Errors[key] = w.i18n.T(q.lang, "field.required")
			}
		}
		required("description", strings.TrimSpace(f.Description) == "")
		required("category", def.CategoryPresence() == workflow.Required && f.Category == "")
		required("location", def.LocationPresence() == workflow.Required && (f.Lat == "" || f.Lng == ""))
		for _, fd := range createFieldsOf(def) {
			_, given := in.Fields[fd.Name]
			required("fields."+fd.Name, fd.Required && fd.Default == nil && !given)
		}
	}
	files := formFiles(r, "photos")
	if len(files) > service.MaxReportPhotos {
		f.Errors["photos"] = w.i18n.T(q.lang, "field.too_many_files", service.MaxReportPhotos)
	}
	page := func(err error, fileField string) {
		if err != nil && !w.createErrors(q.lang, err, f.Errors, fileField) {
			w.fail(rw, r, q, err)
			return
		}
		if !slices.ContainsFunc(types, func(d *workflow.Definition) bool { return d.Type == f.Type }) {
			w.fail(rw, r, q, service.ErrForbidden)
			return
		}
		w.newCasePage(rw, r, q, http.StatusUnprocessableEntity, types, f, r.PostForm, "")
	}
	if len(f.Errors) > 0 {
		page(nil, "")
		return
	}
	// Photos first: a bad file stops the case before it exists.
	photos, err := w.savePhotos(r, q.user, files)
	if err != nil {
		page(err, "photos")
		return
	}
	c, replay, err := w.svc.CreateCase(r.Context(), q.user, in)
	if err != nil {
		if len(photos) > 0 {
			f.Errors["photos"] = w.i18n.T(q.lang, "web.report.photos_again")
		}
		page(err, "")
		return
	}
	if !replay && len(photos) > 0 {
		if _, err := w.svc.AttachCreatePhotos(r.Context(), q.user, c, photos); err != nil {
			// The case exists: go on to it and log the lost photos.
			w.log.Error("new case photos not attached", "case", c.ID, "err", err)
		}
	}
	id := strconv.FormatInt(c.ID, 10)
	if !w.svc.CanSee(q.user, c) {
		// Filed for another unit or grid: the user may not open it.
		w.redirect(rw, r, newCasePath+"?type="+url.QueryEscape(c.Type)+"&filed="+id)
		return
	}
	w.redirect(rw, r, "/work/cases/"+id)
}
