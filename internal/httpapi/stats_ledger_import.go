package httpapi

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// MaxLedger is the largest ledger workbook accepted unless configured
// (Deps.LedgerMax).
const MaxLedger = 20 << 20

// multipartSlack is what a multipart body may carry besides the file
// (boundaries, part headers, small fields).
const multipartSlack = 64 << 10

// errNoFile: a multipart body without a "file" part.
var errNoFile = errors.New("no file part")

// ledgerImport serves POST /api/v1/stats/ledgers/{kind}/import?skip_bad=false
// with an .xlsx workbook as the body (or as the multipart field "file").
// Every row is checked first; errors come back by row and column in the
// request's language (Chinese by default). With any bad row nothing is
// imported (200, committed false) unless skip_bad=true. Ledger numbers
// imported before are skipped, so importing the same file twice is safe.
//
// The upload is never held in memory by the handler: it streams to a
// temporary file (0600, in TempDir, removed when the request ends) and
// stops at the cap, answering 413; the workbook is then read from the
// file.
func (a *API) ledgerImport(w http.ResponseWriter, r *http.Request) {
	skipBad, _ := strconv.ParseBool(r.URL.Query().Get("skip_bad"))
	name := r.URL.Query().Get("name")
	f, err := os.CreateTemp(a.tempDir, "yiwang-ledger-*.xlsx")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	var n int64
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, a.ledgerMax+multipartSlack)
		var fname string
		n, fname, err = a.copyFilePart(f, r)
		if fname != "" {
			name = fname
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, a.ledgerMax+1)
		n, err = io.Copy(f, r.Body)
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), err == nil && n > a.ledgerMax:
		a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
		return
	case err != nil:
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"file": {Key: "field.required"}})
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		a.fail(w, r, err)
		return
	}
	rep, err := a.svc.ImportLedger(r.Context(), user(r), r.PathValue("kind"), name, f, skipBad)
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

// copyFilePart streams the multipart field "file" into dst, at most
// ledgerMax+1 bytes (one more tells the caller it was too large), and
// returns the bytes copied and the part's file name. Other parts are
// skipped.
func (a *API) copyFilePart(dst io.Writer, r *http.Request) (int64, string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return 0, "", err
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return 0, "", errNoFile
		}
		if err != nil {
			return 0, "", err
		}
		if p.FormName() != "file" {
			p.Close()
			continue
		}
		n, err := io.Copy(dst, io.LimitReader(p, a.ledgerMax+1))
		p.Close()
		return n, p.FileName(), err
	}
}
