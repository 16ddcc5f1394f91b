package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// The unit grids (单元网格): the map and table of every grid, the current
// grids as GeoJSON (GET /api/v1/grids, what an import reads back
// unchanged) and the import of a GeoJSON file in two steps. The first
// POST checks the file (service.ImportGrids with DryRun: nothing is
// written) and shows the report; a file that passed is kept on this node
// for gridImportTTL under a random token bound to the administrator, and
// the second POST ("导入") imports exactly those bytes with the options
// that were checked. The import checks the file again under the import
// lock, so grids changed in between are not overwritten blindly. The same
// service as `yiwang grids import` and POST /api/v1/admin/grids/import.

const (
	gridsPath = "/admin/grids"
	// maxGridFile is read of an upload: one byte more than a page import
	// accepts, so that it can say the file is too large (larger files go
	// through the command line or the API).
	maxGridFile = 32<<20 + 1
	// gridImportTTL is how long a checked file waits for its import, and
	// an import's result for its page.
	gridImportTTL = 15 * time.Minute
	// maxPendingGridBytes bounds the checked files held in memory; the
	// oldest are dropped first.
	maxPendingGridBytes = 64 << 20
)

// gridImports holds the checked files waiting for their import and the
// results of imports for the page the redirect leads to. It hangs off the
// Web value: no global state.
type gridImports struct {
	mu    sync.Mutex
	m     map[string]*gridImport
	bytes int
	now   func() time.Time // time.Now when nil
}

type gridImport struct {
	user         int64
	data         []byte
	name         string
	retire, gaps bool
	created      time.Time
	expires      time.Time
	result       *service.ImportReport // set once imported: the entry is a result
}

func (s *gridImports) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sweep drops expired entries; the caller holds the lock.
func (s *gridImports) sweep(now time.Time) {
	for k, e := range s.m {
		if !now.Before(e.expires) {
			s.drop(k, e)
		}
	}
}

func (s *gridImports) drop(k string, e *gridImport) {
	s.bytes -= len(e.data)
	delete(s.m, k)
}

// put keeps a checked file for its user and returns its token. A user has
// one checked file at a time: an earlier one is dropped.
func (s *gridImports) put(e *gridImport) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*gridImport{}
	}
	now := s.clock()
	s.sweep(now)
	for k, old := range s.m {
		if old.user == e.user && old.result == nil {
			s.drop(k, old)
		}
	}
	for s.bytes+len(e.data) > maxPendingGridBytes {
		var oldest string
		for k, old := range s.m {
			if len(old.data) > 0 && (oldest == "" || old.created.Before(s.m[oldest].created)) {
				oldest = k
			}
		}
		if oldest == "" {
			break
		}
		s.drop(oldest, s.m[oldest])
	}
	e.created, e.expires = now, now.Add(gridImportTTL)
	tok := newToken()
	s.m[tok] = e
	s.bytes += len(e.data)
	return tok
}

// take hands out the checked file of token once, if it is the user's and
// has not expired.
func (s *gridImports) take(user int64, token string) (*gridImport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.clock())
	e, ok := s.m[token]
	if !ok || e.user != user || e.result != nil {
		return nil, false
	}
	s.drop(token, e)
	return e, true
}

// resultOf returns the import result id names, if it is the user's and
// has not expired. Results are kept with put (an entry with result set).
func (s *gridImports) resultOf(user int64, id string) (*gridImport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.clock())
	e, ok := s.m[id]
	if !ok || e.user != user || e.result == nil {
		return nil, false
	}
	return e, true
}

type gridRow struct {
	ID                            int64
	Code, Name, Community, Street string
	Worker                        string
	AreaM2                        float64
}

// problemLine is one problem of an import report in the page's language.
type problemLine struct {
	Warning bool
	Code    string
	Text    string
}

// featureLine is a feature of the report worth showing: one with a
// problem or a change.
type featureLine struct {
	N           int // 1-based position in the file
	Code, Name  string
	ID          int64
	Status      string // created, updated, unchanged, invalid, "" (not checked further)
	StatusLabel string
	Problems    []problemLine
}

// importView is a check's or an import's report.
type importView struct {
	Status                                     string // valid, invalid, unchanged, imported
	File                                       string
	Features                                   int
	Created, Updated, Unchanged, Removed, Kept int
	Errors, Warnings                           int
	FileProblems                               []problemLine
	Lines                                      []featureLine
	RemovedCodes                               []string
	Retire, Gaps                               bool
	Token                                      string // the checked file's, for the import button
	TTLMinutes                                 int
}

// gridImportForm is the upload form as submitted.
type gridImportForm struct {
	Retire, Gaps bool
	Error        string // about the file field
	File         string
}

type gridsView struct {
	Rows     []gridRow
	GridsV   string // changes with the grids: the map's data address
	Report   *importView
	Done     *importView // the result of an import, after the redirect
	Form     gridImportForm
	Expired  bool
	Conflict bool
}

// adminGrids shows every unit grid on a map and in a table with its
// responsible grid worker, the download of the current grids and the
// import form; after an import, its result.
func (w *Web) adminGrids(rw http.ResponseWriter, r *http.Request, q *req) {
	v := gridsView{}
	if id := r.URL.Query().Get("imported"); id != "" {
		if e, ok := w.gridImports.resultOf(q.user.ID, id); ok {
			v.Done = w.importReport(q.lang, e.result, e.name, e.retire, e.gaps)
		}
	}
	w.gridsPage(rw, r, q, http.StatusOK, v)
}

// adminGridsCheck checks an uploaded GeoJSON file without writing
// anything and shows the report; a file that would change the grids can
// then be imported with one more click.
func (w *Web) adminGridsCheck(rw http.ResponseWriter, r *http.Request, q *req) {
	rec := audit.FromContext(r.Context())
	f := gridImportForm{Retire: r.PostFormValue("retire_missing") == "1", Gaps: r.PostFormValue("allow_gaps") == "1"}
	data, name, err := readUpload(r, "grid_file", maxGridFile)
	f.File = name
	rec.Detail = "grid import check file=" + name
	switch {
	case errors.Is(err, errNoUpload):
		f.Error = w.i18n.T(q.lang, "web.gridimport.no_file")
	case err != nil:
		w.fail(rw, r, q, err)
		return
	case len(data) >= maxGridFile:
		f.Error = w.i18n.T(q.lang, "web.gridimport.too_large", (maxGridFile-1)>>20)
	}
	if f.Error != "" {
		w.gridsPage(rw, r, q, http.StatusUnprocessableEntity, gridsView{Form: f})
		return
	}
	rep, err := w.svc.ImportGrids(r.Context(), q.user, data, service.GridImportOptions{DryRun: true,
		RetireMissing: f.Retire, AllowGaps: f.Gaps, Source: gridSource(name)})
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	rep.Localize(w.i18n)
	rec.Detail += " " + reportDetail(rep)
	v := gridsView{Form: f, Report: w.importReport(q.lang, rep, name, f.Retire, f.Gaps)}
	status := http.StatusOK
	switch rep.Status {
	case service.ImportInvalid:
		status = http.StatusUnprocessableEntity
	case service.ImportValid:
		v.Report.Token = w.gridImports.put(&gridImport{user: q.user.ID, data: data, name: name, retire: f.Retire, gaps: f.Gaps})
	}
	w.gridsPage(rw, r, q, status, v)
}

// adminGridsImport imports the file checked before (by its token). The
// service checks it again: if the grids changed meanwhile and the file no
// longer fits, the report says so and nothing is written.
func (w *Web) adminGridsImport(rw http.ResponseWriter, r *http.Request, q *req) {
	rec := audit.FromContext(r.Context())
	rec.Detail = "grid import"
	e, ok := w.gridImports.take(q.user.ID, r.PostFormValue("token"))
	if !ok {
		rec.Detail += " refused: no checked file"
		w.gridsPage(rw, r, q, http.StatusUnprocessableEntity, gridsView{Expired: true})
		return
	}
	rec.Detail += " file=" + e.name
	rep, err := w.svc.ImportGrids(r.Context(), q.user, e.data, service.GridImportOptions{
		RetireMissing: e.retire, AllowGaps: e.gaps, Source: gridSource(e.name)})
	if errors.Is(err, service.ErrConflict) {
		rec.Detail += " refused: conflict"
		w.gridsPage(rw, r, q, http.StatusConflict, gridsView{Conflict: true})
		return
	}
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	rep.Localize(w.i18n)
	rec.Detail += " " + reportDetail(rep)
	if rep.Status == service.ImportInvalid {
		v := gridsView{Form: gridImportForm{Retire: e.retire, Gaps: e.gaps},
			Report: w.importReport(q.lang, rep, e.name, e.retire, e.gaps)}
		w.gridsPage(rw, r, q, http.StatusUnprocessableEntity, v)
		return
	}
	id := w.gridImports.put(&gridImport{user: q.user.ID, name: e.name, retire: e.retire, gaps: e.gaps, result: rep})
	w.redirect(rw, r, gridsPath+"?imported="+id)
}

var errNoUpload = errors.New("no file uploaded")

// readUpload reads the form's file field, at most limit bytes.
func readUpload(r *http.Request, field string, limit int64) ([]byte, string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) != 1 {
		return nil, "", errNoUpload
	}
	fh := r.MultipartForm.File[field][0]
	if fh.Size == 0 {
		return nil, fh.Filename, errNoUpload
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fh.Filename, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	return data, fh.Filename, err
}

// gridSource names the file in the grids' history.
func gridSource(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "web"
	}
	if rs := []rune(name); len(rs) > 200 {
		name = string(rs[:200])
	}
	return name
}

func reportDetail(rep *service.ImportReport) string {
	return "status=" + rep.Status + " created=" + strconv.Itoa(rep.Created) + " updated=" + strconv.Itoa(rep.Updated) +
		" unchanged=" + strconv.Itoa(rep.Unchanged) + " removed=" + strconv.Itoa(rep.Removed) + " errors=" + strconv.Itoa(rep.Errors)
}

// importReport puts a report in the page's language: the counts, the
// file's problems and every feature with a problem or a change.
func (w *Web) importReport(lang string, rep *service.ImportReport, file string, retire, gaps bool) *importView {
	v := &importView{Status: rep.Status, File: file, Features: len(rep.Features), Created: rep.Created, Updated: rep.Updated,
		Unchanged: rep.Unchanged, Removed: rep.Removed, Kept: rep.Kept, Errors: rep.Errors, Warnings: rep.Warnings,
		RemovedCodes: rep.RemovedCodes, Retire: retire, Gaps: gaps, TTLMinutes: int(gridImportTTL / time.Minute)}
	line := func(p service.Problem) problemLine {
		text := p.Message
		if lang == "en" && p.MessageEn != "" {
			text = p.MessageEn
		}
		return problemLine{Warning: p.Severity == service.SeverityWarning, Code: p.Code, Text: text}
	}
	for _, p := range rep.Problems {
		v.FileProblems = append(v.FileProblems, line(p))
	}
	for _, f := range rep.Features {
		if len(f.Problems) == 0 && (f.Status == "" || f.Status == service.ImportUnchanged) {
			continue
		}
		fl := featureLine{N: f.Index + 1, Code: f.Code, Name: f.Name, ID: f.ID, Status: f.Status}
		if f.Status != "" {
			fl.StatusLabel = w.i18n.T(lang, "web.gridimport.feature_"+f.Status)
		}
		for _, p := range f.Problems {
			fl.Problems = append(fl.Problems, line(p))
		}
		v.Lines = append(v.Lines, fl)
	}
	return v
}

// gridsPage renders the map, the table, the import form and a report.
func (w *Web) gridsPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v gridsView) {
	users, err := w.svc.StaffDirectory(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	// The worker column: the grid-worker accounts whose org is the grid
	// (the org is what scopes a grid worker's work, and a move on the
	// accounts page changes it); only a grid no such account is in falls
	// back to the worker_id stored with the grid (an import's column).
	byID := map[int64]model.User{}
	workers := map[int64][]string{}
	for _, u := range users {
		byID[u.ID] = u
		if u.Role == model.RoleGridWorker {
			workers[u.OrgID] = append(workers[u.OrgID], u.DisplayName+" ("+u.Username+")")
		}
	}
	sep := "、"
	if q.lang == "en" {
		sep = ", "
	}
	ref := w.svc.Ref()
	v.Rows = make([]gridRow, 0, len(ref.GridList))
	for _, g := range ref.GridList {
		row := gridRow{ID: g.OrgID, Code: g.Code.String(), Name: g.Name, Community: ref.OrgName(g.CommunityID),
			Street: ref.OrgName(g.StreetID), Worker: strings.Join(workers[g.OrgID], sep), AreaM2: g.AreaM2}
		if row.Worker == "" && g.WorkerID != 0 {
			if u, ok := byID[g.WorkerID]; ok {
				row.Worker = u.DisplayName + " (" + u.Username + ")"
			} else {
				row.Worker = "#" + strconv.FormatInt(g.WorkerID, 10)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	v.GridsV = strings.Trim(ref.GridsETag(), `"`)
	p := w.newPage(q, "web.admin.grids", "admin")
	p.Map = true
	switch {
	case v.Expired:
		p.Error = w.i18n.T(q.lang, "web.gridimport.expired")
	case v.Conflict:
		p.Error = w.i18n.T(q.lang, "web.gridimport.conflict")
	case v.Form.Error != "" || v.Report != nil && v.Report.Status == service.ImportInvalid:
		p.Error = w.i18n.T(q.lang, "web.gridimport.not_imported")
	}
	p.Data = v
	w.render(rw, r, status, "admin_grids", p)
}
