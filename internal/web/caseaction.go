package web

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// caseAction takes one workflow action from the case page's form. Evidence
// photos are stored first, then the action is applied; a field error comes
// back next to its field in the same form.
func (w *Web) caseAction(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	form := actionForm{Name: r.PostFormValue("action"), Note: r.PostFormValue("note"), Master: strings.TrimSpace(r.PostFormValue("master")),
		Result: r.PostFormValue("result"), Errors: map[string]string{}}
	form.Unit, _ = strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	in := service.ActionInput{Note: form.Note, UnitID: form.Unit, Result: form.Result}
	in.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	if form.Master != "" {
		if in.MasterID, err = strconv.ParseInt(strings.TrimPrefix(form.Master, "#"), 10, 64); err != nil {
			form.Errors["master"] = w.i18n.T(q.lang, "field.wrong_type")
		}
	}
	var files []*multipart.FileHeader
	if r.MultipartForm != nil {
		files = r.MultipartForm.File["evidence"]
	}
	if len(files) > service.MaxReportPhotos {
		form.Errors["evidence"] = w.i18n.T(q.lang, "field.too_many_files", service.MaxReportPhotos)
	}
	if len(form.Errors) == 0 {
		in.Evidence, err = w.savePhotos(r, q.user, files)
		if err != nil {
			form.Errors = w.fieldErrors(q.lang, err)
			if form.Errors == nil {
				w.fail(rw, r, q, err)
				return
			}
			if m, ok := form.Errors["file"]; ok {
				form.Errors["evidence"] = m
			}
		}
	}
	status := http.StatusUnprocessableEntity
	if len(form.Errors) == 0 {
		_, err = w.svc.Act(r.Context(), q.user, id, form.Name, in)
		switch {
		case err == nil:
			w.redirect(rw, r, "/work/cases/"+strconv.FormatInt(id, 10)+"?done="+form.Name)
			return
		case errors.Is(err, service.ErrNotFound):
			w.fail(rw, r, q, err)
			return
		case errors.Is(err, service.ErrConflict):
			status, form.Error = http.StatusConflict, w.i18n.T(q.lang, "error.conflict")
		case errors.Is(err, service.ErrForbidden):
			status, form.Error = http.StatusForbidden, w.i18n.T(q.lang, "error.forbidden")
		case errors.Is(err, service.ErrInvalidState):
			form.Error = w.i18n.T(q.lang, "error.invalid_action")
		case errors.Is(err, service.ErrUnknownAction):
			form.Error = w.i18n.T(q.lang, "error.unknown_action")
		default:
			if form.Errors = w.fieldErrors(q.lang, err); form.Errors == nil {
				w.fail(rw, r, q, err)
				return
			}
		}
	}
	if _, ok := form.Errors["version"]; ok {
		form.Error = w.i18n.T(q.lang, "error.conflict")
	}
	c, tl, err := w.svc.Case(r.Context(), q.user, id)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.case.title", "inbox")
	p.Title = w.i18n.T(q.lang, "web.case.title_id", c.ID)
	p.Map = true
	p.Error = form.Error
	if p.Error == "" {
		p.Error = w.i18n.T(q.lang, "error.validation")
	}
	v := w.caseView(q, c, tl, &form)
	if !hasAction(v.Actions, form.Name) && form.Error == "" {
		p.Error = w.i18n.T(q.lang, "error.invalid_action")
	}
	p.Data = v
	w.render(rw, r, status, "case", p)
}

func hasAction(as []actionForm, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}
