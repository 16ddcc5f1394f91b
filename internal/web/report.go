package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// reportForm is the 随手拍 form, blank or as submitted with its errors.
type reportForm struct {
	Groups      []catGroup
	Category    string // selected category id
	Description string
	Lat, Lng    string
	Coord       string
	Address     string
	Name, Phone string
	Anonymous   bool
	Idem        string // idempotency key: a double submit files one case
	Errors      map[string]string
	MaxPhotos   int
	MaxLen      int
}

type catGroup struct {
	Name  string
	Items []catItem
}

type catItem struct {
	ID       int64
	Name     string
	Keywords string // parent name and code, for the search box
	Selected bool
}

// categoryGroups lists the leaf categories that keep admits under their
// parents, for the picker.
func (w *Web) categoryGroups(lang, selected string, keep func(model.Category) bool) []catGroup {
	ref := w.svc.Ref()
	var groups []catGroup
	index := map[int64]int{}
	name := func(c model.Category) string {
		if lang == "en" && c.NameEn != "" {
			return c.NameEn
		}
		return c.Name
	}
	for _, c := range ref.CatList {
		if !keep(c) || !ref.IsLeaf(c.ID) || c.ParentID == 0 {
			continue
		}
		parent := ref.Categories[c.ParentID]
		i, ok := index[parent.ID]
		if !ok {
			i = len(groups)
			index[parent.ID] = i
			groups = append(groups, catGroup{Name: w.i18n.T(lang, "web.catkind."+string(parent.Kind)) + " · " + name(parent)})
		}
		groups[i].Items = append(groups[i].Items, catItem{ID: c.ID, Name: name(c),
			Keywords: parent.Name + " " + parent.NameEn + " " + c.Name + " " + c.NameEn + " " + c.Code,
			Selected: strconv.FormatInt(c.ID, 10) == selected})
	}
	return groups
}

func newIdem() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (w *Web) reportPage(rw http.ResponseWriter, r *http.Request, q *req, status int, f reportForm) {
	f.Groups = w.categoryGroups(q.lang, f.Category, func(c model.Category) bool { return c.Public })
	f.MaxPhotos, f.MaxLen = service.MaxReportPhotos, service.MaxDescription
	if f.Coord == "" {
		f.Coord = "wgs84"
	}
	p := w.newPage(q, "web.report.title", "report")
	p.Map = true
	if len(f.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "error.validation")
	}
	p.Data = f
	w.render(rw, r, status, "report", p)
}

// reportForm shows the empty 随手拍 form.
func (w *Web) reportForm(rw http.ResponseWriter, r *http.Request, q *req) {
	w.reportPage(rw, r, q, http.StatusOK, reportForm{Idem: newIdem()})
}

// reportSubmit files a citizen's report with its photos and sends the
// browser to the receipt page; a field error comes back next to its field.
func (w *Web) reportSubmit(rw http.ResponseWriter, r *http.Request, q *req) {
	f := reportForm{
		Category: r.PostFormValue("category"), Description: r.PostFormValue("description"),
		Lat: strings.TrimSpace(r.PostFormValue("lat")), Lng: strings.TrimSpace(r.PostFormValue("lng")),
		Coord: r.PostFormValue("coord"), Address: r.PostFormValue("address"),
		Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), Anonymous: r.PostFormValue("anonymous") == "1",
		Idem: r.PostFormValue("idem"), Errors: map[string]string{},
	}
	if len(f.Idem) != 32 {
		f.Idem = newIdem()
	}
	in := service.CreateCase{Description: f.Description, Coord: f.Coord, Address: f.Address, Channel: model.ChannelApp,
		Anonymous: f.Anonymous, IdempotencyKey: "web:" + f.Idem}
	if !f.Anonymous {
		in.Reporter = model.Reporter{Name: f.Name, Phone: f.Phone}
	}
	in.CategoryID, _ = strconv.ParseInt(f.Category, 10, 64)
	if f.Category == "" {
		f.Errors["category"] = w.i18n.T(q.lang, "field.required")
	} else if in.CategoryID <= 0 {
		f.Errors["category"] = w.i18n.T(q.lang, "field.unknown_category")
	}
	w.parsePoint(q.lang, f.Lat, f.Lng, &in, f.Errors)
	files := formFiles(r, "photos")
	if len(files) > service.MaxReportPhotos {
		f.Errors["photos"] = w.i18n.T(q.lang, "field.too_many_files", service.MaxReportPhotos)
	}
	if len(f.Errors) > 0 {
		w.reportPage(rw, r, q, http.StatusUnprocessableEntity, f)
		return
	}
	// Photos first: a bad file stops the report before any case exists.
	photos, err := w.savePhotos(r, q.user, files)
	if err != nil {
		w.reportError(rw, r, q, f, err, "photos")
		return
	}
	c, replay, err := w.svc.CreateCase(r.Context(), q.user, in)
	if err != nil {
		if len(photos) > 0 {
			f.Errors["photos"] = w.i18n.T(q.lang, "web.report.photos_again")
		}
		w.reportError(rw, r, q, f, err, "")
		return
	}
	if !replay && len(photos) > 0 {
		if _, err := w.svc.AttachReportPhotos(r.Context(), c, photos); err != nil {
			// The case exists: give the receipt and log the lost photos.
			w.log.Error("report photos not attached", "case", c.ID, "err", err)
		}
	}
	w.redirect(rw, r, "/report/receipt/"+url.PathEscape(c.Receipt))
}

// savePhotos stores uploaded files as attachments.
func (w *Web) savePhotos(r *http.Request, actor model.User, files []*multipart.FileHeader) ([]string, error) {
	var ids []string
	for _, fh := range files {
		if fh.Size == 0 {
			continue // an empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		a, err := w.svc.SaveAttachment(r.Context(), actor, fh.Filename, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		ids = append(ids, a.ID)
	}
	return ids, nil
}

// reportError shows the form again with the service's field errors; a
// field error on "file" belongs to fileField.
func (w *Web) reportError(rw http.ResponseWriter, r *http.Request, q *req, f reportForm, err error, fileField string) {
	if !w.createErrors(q.lang, err, f.Errors, fileField) {
		w.fail(rw, r, q, err)
		return
	}
	w.reportPage(rw, r, q, http.StatusUnprocessableEntity, f)
}

// The helpers below are shared by the forms that create a case: the
// citizen's report and the staff's case entry.

// parsePoint reads the latitude and longitude fields into in; a field that
// is not a number is an error on "location". An empty field is left for
// the service to judge (required or not by the case type).
func (w *Web) parsePoint(lang, lat, lng string, in *service.CreateCase, errs map[string]string) {
	for _, c := range []struct {
		v   string
		dst **float64
	}{{lat, &in.Lat}, {lng, &in.Lng}} {
		if c.v == "" {
			continue
		}
		x, err := strconv.ParseFloat(c.v, 64)
		if err != nil {
			errs["location"] = w.i18n.T(lang, "field.wrong_type")
			continue
		}
		*c.dst = &x
	}
}

// formFiles returns the files of a multipart form field.
func formFiles(r *http.Request, name string) []*multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	return r.MultipartForm.File[name]
}

// createErrors adds the field errors of a failed create (or photo upload)
// to errs under the form's field names, keeping errors already found: the
// coordinates are "location", the reporter's are "name" and "phone", and
// an error on "file" belongs to fileField. It reports false for an error
// that is neither a validation error nor a conflict: the caller shows the
// error page.
func (w *Web) createErrors(lang string, err error, errs map[string]string, fileField string) bool {
	fe := w.fieldErrors(lang, err)
	if fe == nil {
		return errors.Is(err, service.ErrConflict)
	}
	for k, v := range fe {
		switch k {
		case "lat", "lng", "coord":
			k = "location"
		case "reporter.name":
			k = "name"
		case "reporter.phone":
			k = "phone"
		case "file":
			k = fileField
		}
		if _, ok := errs[k]; !ok {
			errs[k] = v
		}
	}
	return true
}
