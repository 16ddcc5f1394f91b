package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// rate records the citizen's rating of their closed case (满意 / 基本满意 /
// 不满意), once.
func (w *Web) rate(rw http.ResponseWriter, r *http.Request, q *req) {
	code := r.PathValue("code")
	result, note := r.PostFormValue("result"), r.PostFormValue("note")
	c, err := w.svc.RateByReceipt(r.Context(), code, result, note)
	switch {
	case err == nil:
		w.redirect(rw, r, "/track?code="+url.QueryEscape(c.Receipt)+"&done=rated")
		return
	case errors.Is(err, service.ErrAlreadyRated):
		w.messagePage(rw, r, q, http.StatusConflict, "web.track.title", "web.track.already_rated")
		return
	case errors.Is(err, service.ErrInvalidState):
		w.messagePage(rw, r, q, http.StatusUnprocessableEntity, "web.track.title", "web.track.not_closed")
		return
	}
	fe := w.fieldErrors(q.lang, err)
	if fe == nil {
		w.fail(rw, r, q, err)
		return
	}
	c, tl, err := w.svc.CaseByReceipt(r.Context(), code)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	v := w.trackView(q, c, tl)
	v.Errors, v.RateNote = fe, note
	for i := range v.Ratings {
		v.Ratings[i].Selected = v.Ratings[i].Value == result
	}
	p := w.newPage(q, "web.track.title", "track")
	p.Error = w.i18n.T(q.lang, "error.validation")
	p.Data = v
	w.render(rw, r, http.StatusUnprocessableEntity, "track", p)
}
