package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/stats/ledger"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// LedgerImported is one ledger row and the case it is (or already was).
type LedgerImported struct {
	Row      int    `json:"row"`
	LedgerNo string `json:"ledger_no"`
	CaseID   int64  `json:"case_id"`
	Receipt  string `json:"receipt,omitempty"`
	Status   string `json:"status"`
	Existing bool   `json:"existing"` // imported before: left as it is
}

// LedgerImportReport says what an import did, or would have done.
type LedgerImportReport struct {
	Kind string `json:"kind"`
	Rows int    `json:"rows"` // data rows read
	// Imported counts new cases; Existing rows whose ledger number was
	// imported before (skipped: an import is idempotent); Bad rows with
	// errors (imported only with skip_bad, and then left out).
	Imported int `json:"imported"`
	Existing int `json:"existing"`
	Bad      int `json:"bad"`
	// Committed is false when nothing was written because a row was bad.
	Committed bool               `json:"committed"`
	Errors    []ledger.CellError `json:"errors"`
	Cases     []LedgerImported   `json:"cases"`
	// Unknown lists headers the layout does not know (ignored).
	Unknown []string `json:"unknown_headers,omitempty"`
}

// ledgerRow is a validated ledger row, ready to become a case.
type ledgerRow struct {
	line     int
	no       string
	category int64
	desc     string
	unit     int64
	found    time.Time
	done     time.Time
	target   string         // the state the case ends in
	fields   map[string]any // set on create
	action   map[string]any // set by the closing report (amounts, measures)
	result   string         // clue disposition
	outcome  string
}

// Rectification and clue ledger statuses as offices write them.
var (
	rectStatus = map[string]string{
		"待交办": "registered", "已登记": "registered", "未交办": "registered",
		"已交办": "assigned", "整改中": "rectifying", "正在整改": "rectifying", "推进中": "rectifying",
		"已完成": "closed", "已整改": "closed", "已销号": "closed", "完成": "closed", "整改完成": "closed", "已办结": "closed",
		"长期整改": "long_term", "挂账": "long_term", "持续整改": "long_term",
		"待验收": "awaiting_review", "整改完成待验收": "awaiting_review",
		"已撤销": "cancelled",
	}
	clueStatus = map[string]string{
		"待处置": "registered", "已登记": "registered",
		"办理中": "open", "核查中": "open", "谈话函询中": "talk_inquiry", "初步核实中": "verifying",
		"暂存待查": "shelved", "暂存": "shelved",
		"已办结": "closed", "办结": "closed", "已了结": "closed", "予以了结": "closed",
	}
)

func cellErr(l ledger.Layout, r ledger.Row, key, col string, args ...any) ledger.CellError {
	c, _ := l.Column(col)
	return ledger.CellError{Row: r.Line, Column: r.Columns[col], Header: c.Header, Key: key, Args: args}
}

// ledgerTarget reads a ledger status: the words offices use (words), or
// the label (with or without its bracketed part) or name of one of the
// type's states, as an export writes it.
func ledgerTarget(def *workflow.Definition, words map[string]string, s string) (string, bool) {
	s = strings.TrimSpace(s)
	if t, ok := words[s]; ok {
		return t, true
	}
	targets := map[string]bool{"talk_inquiry": true, "verifying": true}
	for _, t := range words {
		targets[t] = true
	}
	for _, st := range def.States {
		short, _, _ := strings.Cut(st.Label, "（")
		if (s == st.Name || s == st.Label || s == short) && targets[st.Name] {
			return st.Name, true
		}
	}
	return "", false
}

// enumValue accepts an enum's label or value.
func enumValue(f workflow.Field, s string) (string, bool) {
	for _, v := range f.Values {
		if s == v.Value || s == v.Label || strings.HasPrefix(v.Label, s) && s != "" && utf8.RuneCountInString(s) >= 2 {
			return v.Value, true
		}
	}
	return "", false
}

func enumLabels(f workflow.Field) string {
	var out []string
	for _, v := range f.Values {
		out = append(out, v.Label)
	}
	return strings.Join(out, "、")
}

// ImportLedger reads a ledger workbook (问题整改台账 or 问题线索台账) and
// creates a case for every row whose ledger number was not imported before.
// Every row is checked first and every problem reported by row and column;
// when any row is bad nothing is written unless skipBad, which imports the
// good rows. Each case's timeline is built by the workflow engine (Apply)
// with the ledger's dates: creation on the date found, then the steps the
// ledger's status implies (交办, 签收, 整改完成报告 with the workbook itself as
// evidence, 验收销号 — or for clues 处置 and 办结). Steps the responsible unit
// takes are recorded as the importer's, on the unit's behalf. Only the
// discipline commission imports ledgers.
//
// The workbook is read from file: the API streams uploads to a temporary
// file, so the request holds no copy of it.
func (s *Service) ImportLedger(ctx context.Context, actor model.User, kind, fileName string, file io.ReadSeeker, skipBad bool) (LedgerImportReport, error) {
	rep := LedgerImportReport{Kind: kind, Errors: []ledger.CellError{}, Cases: []LedgerImported{}}
	layout, ok := ledger.Layouts[kind]
	if !ok {
		return rep, ErrNotFound
	}
	if actor.Role != model.RoleDiscipline {
		return rep, ErrForbidden
	}
	def, ok := s.workflows.Latest(kind)
	if !ok {
		return rep, Invalid("kind", "field.unknown_type")
	}
	sheet, err := ledger.Read(file, layout)
	switch {
	case errors.Is(err, ledger.ErrNotXLSX):
		return rep, Invalid("file", "ledger.not_xlsx")
	case errors.Is(err, ledger.ErrTooManyRows):
		return rep, Invalid("file", "ledger.too_many_rows", ledger.MaxRows)
	case err != nil:
		return rep, err
	}
	rep.Rows, rep.Unknown = len(sheet.Rows), sheet.Unknown
	for _, h := range sheet.Missing {
		rep.Errors = append(rep.Errors, ledger.CellError{Header: h, Key: "ledger.missing_header", Args: []any{h}})
	}
	if len(sheet.Missing) > 0 {
		return rep, nil
	}
	if len(sheet.Rows) == 0 {
		rep.Errors = append(rep.Errors, ledger.CellError{Key: "ledger.empty"})
		return rep, nil
	}
	// Check every row.
	var rows []ledgerRow
	bad := map[int]bool{}
	firstLine := map[string]int{}
	for _, r := range sheet.Rows {
		lr, errs := s.checkLedgerRow(def, kind, r)
		if no := r.Values["ledger_no"]; no != "" {
			if l, dup := firstLine[no]; dup {
				errs = append(errs, cellErr(layout, r, "ledger.duplicate_no", "ledger_no", l))
			} else {
				firstLine[no] = r.Line
			}
		}
		if len(errs) > 0 {
			rep.Errors = append(rep.Errors, errs...)
			bad[r.Line] = true
			continue
		}
		rows = append(rows, lr)
	}
	rep.Bad = len(bad)
	// Numbers imported before are left alone.
	nos := make([]string, len(rows))
	for i, r := range rows {
		nos[i] = r.no
	}
	links, err := s.store.LedgerLinks(ctx, kind, nos)
	if err != nil {
		return rep, err
	}
	var fresh []ledgerRow
	for _, r := range rows {
		if l, ok := links[r.no]; ok {
			rep.Existing++
			rep.Cases = append(rep.Cases, LedgerImported{Row: r.line, LedgerNo: r.no, CaseID: l.CaseID, Existing: true})
			continue
		}
		fresh = append(fresh, r)
	}
	if len(bad) > 0 && !skipBad {
		return rep, nil
	}
	// The workbook is the evidence of the completions it records.
	var evidence string
	if kind == ledger.Rectification && slices.ContainsFunc(fresh, func(r ledgerRow) bool { return r.target == "closed" || r.target == "awaiting_review" }) {
		if evidence, err = s.saveLedgerFile(ctx, actor, fileName, file); err != nil {
			return rep, err
		}
	}
	now := s.now().Truncate(time.Millisecond)
	var cases []store.CaseWithTimeline
	var newLinks []store.LedgerLink
	var kept []ledgerRow
	for _, r := range fresh {
		cw, err := s.ledgerCase(def, actor, kind, r, evidence)
		if err != nil {
			var ve *ValidationError
			key := "ledger.workflow"
			args := []any{err.Error()}
			if errors.As(err, &ve) {
				for f, fe := range ve.Fields {
					key, args = fe.Key, fe.Args
					_ = f
					break
				}
			}
			st, _ := layout.Column("status")
			rep.Errors = append(rep.Errors, ledger.CellError{Row: r.line, Header: st.Header, Key: key, Args: args})
			rep.Bad++
			if !skipBad {
				return rep, nil
			}
			continue
		}
		cases = append(cases, cw)
		newLinks = append(newLinks, store.LedgerLink{Kind: kind, LedgerNo: r.no, ImportedBy: actor.ID, ImportedAt: now})
		kept = append(kept, r)
	}
	if len(cases) > 0 {
		if err := s.store.ImportLedger(ctx, cases, newLinks); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return rep, ErrConflict // imported by someone else meanwhile: try again
			}
			return rep, err
		}
	}
	for i, r := range kept {
		c := cases[i].Case
		rep.Cases = append(rep.Cases, LedgerImported{Row: r.line, LedgerNo: r.no, CaseID: c.ID, Receipt: c.Receipt, Status: string(c.Status)})
	}
	slices.SortFunc(rep.Cases, func(a, b LedgerImported) int { return a.Row - b.Row })
	rep.Imported, rep.Committed = len(cases), true
	return rep, nil
}

// checkLedgerRow validates one row against the layout and the case type.
func (s *Service) checkLedgerRow(def *workflow.Definition, kind string, r ledger.Row) (ledgerRow, []ledger.CellError) {
	ref := s.Ref()
	var errs []ledger.CellError
	v := r.Values
	lr := ledgerRow{line: r.Line, fields: map[string]any{}, action: map[string]any{}}
	layout := ledger.Layouts[kind]
	bad := func(col, key string, args ...any) { errs = append(errs, cellErr(layout, r, key, col, args...)) }
	for _, c := range layout.Columns {
		if c.Required && v[c.Key] == "" {
			bad(c.Key, "ledger.required")
		}
	}
	lr.no = v["ledger_no"]
	if utf8.RuneCountInString(lr.no) > 40 {
		bad("ledger_no", "ledger.too_long", 40)
	}
	lr.desc = v["description"]
	if utf8.RuneCountInString(lr.desc) > MaxDescription {
		bad("description", "ledger.too_long", MaxDescription)
	}
	var ok bool
	if v["found_on"] != "" || v["received_on"] != "" {
		col := "found_on"
		if kind == ledger.Clue {
			col = "received_on"
		}
		if lr.found, ok = ledger.ParseDate(v[col], calendar.Beijing()); !ok {
			bad(col, "ledger.bad_date")
		} else if lr.found.After(s.now()) {
			bad(col, "ledger.future_date")
		}
	}
	if v["done_on"] != "" {
		if lr.done, ok = ledger.ParseDate(v["done_on"], calendar.Beijing()); !ok {
			bad("done_on", "ledger.bad_date")
		} else if lr.done.After(s.now()) {
			bad("done_on", "ledger.future_date")
		} else if !lr.found.IsZero() && lr.done.Before(lr.found) {
			bad("done_on", "ledger.done_before_found")
		}
	}
	enum := func(col, field string, required bool) string {
		if v[col] == "" {
			return ""
		}
		f, ok := def.Field(field)
		if !ok {
			return ""
		}
		val, ok := enumValue(f, v[col])
		if !ok {
			bad(col, "ledger.bad_enum", v[col], enumLabels(f))
		}
		return val
	}
	money := func(col string) {
		if v[col] == "" {
			return
		}
		m, ok := ledger.ParseMoney(v[col])
		if !ok {
			bad(col, "ledger.bad_money")
			return
		}
		if _, has := def.Field(col); has {
			lr.action[col] = m
		}
	}
	count := func(col string) {
		n, set, ok := ledger.ParseCount(v[col])
		if !ok {
			bad(col, "ledger.bad_count")
			return
		}
		if _, has := def.Field(col); has && set {
			lr.action[col] = n
		}
	}
	text := func(col, field string, max int) {
		if v[col] == "" {
			return
		}
		if utf8.RuneCountInString(v[col]) > max {
			bad(col, "ledger.too_long", max)
			return
		}
		lr.fields[field] = v[col]
	}
	switch kind {
	case ledger.Rectification:
		if d := v["domain"]; d != "" {
			for _, c := range ref.CatList {
				if (c.Name == d || c.Code == d) && c.CaseType == def.CategoryType && ref.IsLeaf(c.ID) {
					lr.category = c.ID
					break
				}
			}
			if lr.category == 0 {
				bad("domain", "ledger.unknown_domain", d)
			}
		}
		if src := enum("problem_source", "problem_source", true); src != "" {
			lr.fields["problem_source"] = src
		}
		text("cooperating_units", "cooperating_units", 200)
		if u := v["unit"]; u != "" {
			for _, o := range ref.OrgList() {
				if o.Name == u && ref.Dispatchable(o.ID) {
					lr.unit = o.ID
					break
				}
			}
			if lr.unit == 0 {
				bad("unit", "ledger.unknown_unit", u)
			}
		}
		for _, m := range []string{"funds_recovered", "funds_returned"} {
			money(m)
		}
		for _, c := range []string{"funds_returned_people", "people_handled", "clues_transferred", "rules_made"} {
			count(c)
		}
		if m := v["measures"]; m != "" {
			if utf8.RuneCountInString(m) > 4000 {
				bad("measures", "ledger.too_long", 4000)
			}
			lr.action["measures"] = m
		}
		if st := v["status"]; st != "" {
			if lr.target, ok = ledgerTarget(def, rectStatus, st); !ok {
				bad("status", "ledger.bad_status", st, "待交办、整改中、已销号、长期整改、已撤销")
			}
		}
		switch lr.target {
		case "assigned", "rectifying", "awaiting_review", "closed", "long_term":
			if v["unit"] == "" {
				bad("unit", "ledger.unit_required")
			}
		}
		if lr.target == "closed" || lr.target == "awaiting_review" {
			if v["done_on"] == "" {
				bad("done_on", "ledger.done_required")
			}
			if v["measures"] == "" {
				bad("measures", "ledger.measures_required")
			}
		}
	case ledger.Clue:
		if src := enum("source", "source", true); src != "" {
			lr.fields["source"] = src
		}
		text("subject_name", "subject_name", 50)
		text("subject_unit", "subject_unit", 100)
		if lvl := enum("subject_level", "subject_level", false); lvl != "" {
			lr.fields["subject_level"] = lvl
		}
		lr.result = enum("disposition", "disposition", false)
		lr.outcome = enum("outcome", "outcome", false)
		money("funds_recovered")
		count("people_handled")
		if st := v["status"]; st != "" {
			if lr.target, ok = ledgerTarget(def, clueStatus, st); !ok {
				bad("status", "ledger.bad_status", st, "待处置、办理中、暂存待查、已办结")
			}
		}
		switch lr.target {
		case "talk_inquiry", "verifying":
			if lr.result == "" {
				lr.result = map[string]string{"talk_inquiry": "talk_inquiry", "verifying": "preliminary_verification"}[lr.target]
			}
			lr.target = "open"
		}
		switch lr.target {
		case "open":
			if lr.result == "" || lr.result == "shelved" || lr.result == "concluded" {
				bad("disposition", "ledger.disposition_open")
			}
		case "shelved":
			lr.result = "shelved"
		case "closed":
			if v["done_on"] == "" {
				bad("done_on", "ledger.done_required")
			}
			if lr.result == "" {
				lr.result = "concluded"
			}
			if lr.result != "concluded" && lr.outcome == "" {
				bad("outcome", "ledger.outcome_required")
			}
		}
	}
	return lr, errs
}

// ledgerCase builds a row's case and timeline through the engine.
func (s *Service) ledgerCase(def *workflow.Definition, actor model.User, kind string, r ledgerRow, evidence string) (store.CaseWithTimeline, error) {
	ref := s.Ref()
	v := &ValidationError{}
	fields := s.createFields(def, r.fields, v)
	if err := v.err(); err != nil {
		return store.CaseWithTimeline{}, err
	}
	t := r.found
	cat := ref.Categories[r.category]
	unit := cat.DefaultUnitID
	how := "category"
	if unit == 0 {
		unit, how = actor.OrgID, "creator"
	}
	c := model.Case{
		Type: def.Type, DefVersion: def.Version, Channel: model.ChannelSupervisor, CategoryID: r.category, Description: r.desc,
		UnitID: unit, Routing: how, Status: model.State(def.Initial), Version: 1, Fields: fields, Flow: model.Flow{OriginUnit: unit},
		CreatedBy: actor.ID, CreatedAt: t, UpdatedAt: t, Receipt: NewReceipt(),
	}
	if kind == ledger.Clue {
		c.Description = r.desc
	}
	note := "据台账导入（台账编号 " + r.no + "）"
	first := model.Event{Seq: 1, At: t, ActorID: actor.ID, ActorName: actorName(actor), Role: actor.Role, Action: "create", ToState: c.Status, UnitID: c.UnitID, Note: note}
	if len(fields) > 0 {
		first.Data = map[string]any{"fields": fields}
	}
	s.startClocks(def, "create", &c, &first, t)
	events := []model.Event{first}
	// The responsible unit's steps are entered by the importer on its behalf.
	onBehalf := actor
	onBehalf.Role, onBehalf.OrgID = model.RoleUnit, r.unit
	onBehalf.DisplayName = actorName(actor) + "（代" + ref.OrgName(r.unit) + "录入）"
	look := Lookups{
		MasterOK:     func(int64) bool { return false },
		AttachmentOK: func(id string) bool { return id == evidence && id != "" },
		UserOK:       func(int64) (model.User, bool) { return model.User{}, false },
	}
	step := func(who model.User, action string, in ActionInput, at time.Time) error {
		in.Version = c.Version
		if in.Note == "" {
			in.Note = note
		}
		next, ev, err := s.Apply(who, c, action, in, at, look)
		if err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		ev.Seq = next.Version
		c, events = next, append(events, ev)
		return nil
	}
	// Steps follow each other by a minute from the date found; the closing
	// ones happen on the completion date (when later).
	at := func(k int) time.Time { return t.Add(time.Duration(k) * time.Minute) }
	doneAt := func(k int) time.Time {
		if r.done.After(at(k)) {
			return r.done.Add(time.Duration(k) * time.Minute)
		}
		return at(k)
	}
	var err error
	switch kind {
	case ledger.Rectification:
		if r.target == "registered" {
			break
		}
		if r.target == "cancelled" {
			err = step(actor, "cancel", ActionInput{}, at(1))
			break
		}
		if err = step(actor, "assign", ActionInput{UnitID: r.unit}, at(1)); err != nil || r.target == "assigned" {
			break
		}
		if err = step(onBehalf, "sign", ActionInput{}, at(2)); err != nil {
			break
		}
		switch r.target {
		case "awaiting_review":
			err = step(onBehalf, "report_back", ActionInput{Fields: r.action, Evidence: []string{evidence}}, doneAt(3))
		case "long_term":
			err = step(actor, "park", ActionInput{}, at(3))
		case "rectifying":
			if len(r.action) > 0 {
				err = step(onBehalf, "update_progress", ActionInput{Fields: r.action}, at(3))
			}
		case "closed":
			if err = step(onBehalf, "report_back", ActionInput{Fields: r.action, Evidence: []string{evidence}}, doneAt(3)); err != nil {
				break
			}
			err = step(actor, "review", ActionInput{Result: "pass"}, doneAt(4))
		}
	case ledger.Clue:
		switch r.target {
		case "registered":
		case "shelved":
			err = step(actor, "dispose", ActionInput{Result: "shelved"}, at(1))
		case "open":
			err = step(actor, "dispose", ActionInput{Result: r.result}, at(1))
		case "closed":
			if r.result == "concluded" {
				err = step(actor, "dispose", ActionInput{Result: "concluded", Fields: nil}, doneAt(1))
				break
			}
			if err = step(actor, "dispose", ActionInput{Result: r.result}, at(1)); err != nil {
				break
			}
			fields := map[string]any{"outcome": r.outcome}
			for k, v := range r.action {
				fields[k] = v
			}
			err = step(actor, "conclude", ActionInput{Fields: fields}, doneAt(2))
		}
	}
	if err != nil {
		return store.CaseWithTimeline{}, err
	}
	return store.CaseWithTimeline{Case: c, Events: events, Timers: s.RunningTimers(c)}, nil
}

// saveLedgerFile keeps an imported workbook as an attachment (by its
// SHA-256, like every attachment), so the cases it completed can cite it.
// It streams the file into the files directory while hashing it, then
// names it by the hash (or drops the copy when that file exists).
func (s *Service) saveLedgerFile(ctx context.Context, actor model.User, name string, file io.ReadSeeker) (string, error) {
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.filesDir, 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(s.filesDir, ".ledger-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), file)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	id := hex.EncodeToString(h.Sum(nil))
	dst := s.attachmentPath(id)
	if _, err := os.Stat(dst); err != nil {
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return "", err
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return "", err
		}
	}
	if name == "" {
		name = "台账.xlsx"
	}
	a := model.Attachment{ID: id, Mime: ledger.ContentTypeXLSX, Size: size, Name: filepath.Base(name), CreatedBy: actor.ID, CreatedAt: s.now()}
	return id, s.store.PutAttachment(ctx, a)
}
