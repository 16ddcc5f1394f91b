package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// caseFile serves a photo of a case the user may see, only if it belongs
// to that case's timeline.
func (w *Web) caseFile(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	_, tl, err := w.svc.Case(r.Context(), q.user, id)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	file := r.PathValue("file")
	for _, ev := range tl {
		if slices.Contains(ev.Attachments, file) {
			att, f, err := w.svc.OpenAttachment(r.Context(), q.user, file)
			w.serveAttachment(rw, r, q, att, f, err)
			return
		}
	}
	w.fail(rw, r, q, service.ErrNotFound)
}
