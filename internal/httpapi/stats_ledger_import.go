package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// MaxLedger is the largest ledger workbook accepted.
const MaxLedger = 20 << 20

// ledgerImport serves POST /api/v1/stats/ledgers/{kind}/import?skip_bad=false
// with an .xlsx workbook as the body (or as the multipart field "file").
// Every row is checked first; errors come back by row and column in the
// request's language (Chinese by default). With any bad row nothing is
// imported (200, committed false) unless skip_bad=true. Ledger numbers
// imported before are skipped, so importing the same file twice is safe.
func (a *API) ledgerImport(w http.ResponseWriter, r *http.Request) {
	skipBad, _ := strconv.ParseBool(r.URL.Query().Get("skip_bad"))
	r.Body = http.MaxBytesReader(w, r.Body, MaxLedger)
	var data []byte
	var err error
	name := r.URL.Query().Get("name")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, hdr, ferr := r.FormFile("file")
		if ferr != nil {
			err = ferr
		} else {
			defer f.Close()
			name = hdr.Filename
			data, err = io.ReadAll(f)
		}
	} else {
		data, err = io.ReadAll(r.Body)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
			return
		}
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"file": {Key: "field.required"}})
		return
	}
	rep, err := a.svc.ImportLedger(r.Context(), user(r), r.PathValue("kind"), name, data, skipBad)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	l := lang(r)
	for i := range rep.Errors {
		e := &rep.Errors[i]
		e.Message = a.i18n.T(l, e.Key, e.Args...)
	}
	writeJSON(w, http.StatusOK, rep)
}
