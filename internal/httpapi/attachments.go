package httpapi

import (
	"io"
	"net/http"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// uploadAttachment takes one file as multipart field "file" (or a raw
// body) and answers with its id, to be named in a case action's evidence.
func (a *API) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, service.MaxAttachment+64<<10)
	var (
		body io.Reader = r.Body
		name           = r.URL.Query().Get("name")
	)
	if mr, err := r.MultipartReader(); err == nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				a.fail(w, r, service.Invalid("file", "field.required"))
				return
			}
			if p.FormName() == "file" {
				body, name = p, p.FileName()
				break
			}
		}
	}
	att, err := a.svc.SaveAttachment(r.Context(), user(r), name, body)
	if err != nil {
		var mbe *http.MaxBytesError
		if asMaxBytes(err, &mbe) {
			a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
			return
		}
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, att)
}

// getAttachment serves a file to a reader who may see a case (or a
// supervision reply) linking it, or to its uploader before it is linked;
// anyone else gets 404, never 403.
func (a *API) getAttachment(w http.ResponseWriter, r *http.Request) {
	att, f, err := a.svc.OpenAttachment(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", att.Mime)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	// A type an administrator allowed is stored as sent (it may be HTML):
	// nothing but an image is shown in the browser, and nothing runs.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if !strings.HasPrefix(att.Mime, "image/") {
		w.Header().Set("Content-Disposition", "attachment")
	}
	io.Copy(w, f)
}
