package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// supervisionView adds what a reader needs to a supervision document: the
// kind's name and whether the reply is late.
type supervisionView struct {
	service.Supervision
	KindLabel string `json:"kind_label"`
	UnitName  string `json:"unit_name"`
	Overdue   bool   `json:"overdue"`
}

func (a *API) supervisionView(s service.Supervision) supervisionView {
	now := a.svc.Now()
	// Deadlines read in China time, as they were counted.
	loc := a.svc.Calendar().Location()
	s.IssuedAt = s.IssuedAt.In(loc)
	if !s.DueAt.IsZero() {
		s.DueAt = s.DueAt.In(loc)
	}
	if !s.RepliedAt.IsZero() {
		s.RepliedAt = s.RepliedAt.In(loc)
	}
	return supervisionView{Supervision: s, KindLabel: service.SupervisionKindLabel(s.Kind), UnitName: a.svc.Ref().OrgName(s.UnitID),
		Overdue: s.Status == store.SupervisionOpen && !s.DueAt.IsZero() && s.DueAt.Before(now)}
}

type issueSupervisionRequest struct {
	Kind             string     `json:"kind"`
	Unit             int64      `json:"unit"`
	Title            string     `json:"title"`
	Body             string     `json:"body"`
	Cases            []int64    `json:"cases"`
	DueAt            *time.Time `json:"due_at"`
	ReplyWorkingDays int        `json:"reply_working_days"`
}

// issueSupervision serves POST /api/v1/supervisions: issue a 督办单
// (duban), 工作提示函 (reminder), 纪检监察建议书 (recommendation) or 约谈记录
// (interview) to a unit, about some cases, with a reply deadline.
func (a *API) issueSupervision(w http.ResponseWriter, r *http.Request) {
	var req issueSupervisionRequest
	if !a.decode(w, r, &req) {
		return
	}
	in := service.IssueSupervision{Kind: req.Kind, UnitID: req.Unit, Title: req.Title, Body: req.Body, Cases: req.Cases, ReplyWorkingDays: req.ReplyWorkingDays}
	if req.DueAt != nil {
		in.DueAt = *req.DueAt
	}
	s, err := a.svc.IssueSupervision(r.Context(), user(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/supervisions/"+itoa(s.ID))
	writeJSON(w, http.StatusCreated, a.supervisionView(s))
}

// listSupervisions serves GET /api/v1/supervisions?unit=&case=&status=open|replied&page_token=&limit=
// newest first; a unit sees what was addressed to it.
func (a *API) listSupervisions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.SupervisionFilter{Status: q.Get("status"), Limit: 50}
	bad := map[string]service.FieldError{}
	for name, dst := range map[string]*int64{"unit": &f.UnitID, "case": &f.CaseID} {
		if v := q.Get(name); v != "" {
			n, err := parsePositive(v)
			if err != nil {
				bad[name] = service.FieldError{Key: "field.wrong_type"}
			}
			*dst = n
		}
	}
	if f.Status != "" && f.Status != store.SupervisionOpen && f.Status != store.SupervisionReplied {
		bad["status"] = service.FieldError{Key: "field.bad_enum"}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			bad["limit"] = service.FieldError{Key: "field.wrong_type"}
		}
		f.Limit = n
	}
	if v := q.Get("page_token"); v != "" {
		after, err := decodeCursor(v)
		if err != nil {
			bad["page_token"] = service.FieldError{Key: "field.wrong_type"}
		}
		f.AfterID = after
	}
	if len(bad) > 0 {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", bad)
		return
	}
	want := f.Limit
	f.Limit++
	docs, err := a.svc.ListSupervisions(r.Context(), user(r), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Supervisions []supervisionView `json:"supervisions"`
		Next         string            `json:"next_page_token,omitempty"`
	}{Supervisions: []supervisionView{}}
	if len(docs) > want {
		docs = docs[:want]
		out.Next = encodeCursor(docs[want-1].ID)
	}
	for _, d := range docs {
		out.Supervisions = append(out.Supervisions, a.supervisionView(d))
	}
	writeJSON(w, http.StatusOK, out)
}

// getSupervision serves GET /api/v1/supervisions/{id}.
func (a *API) getSupervision(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	s, err := a.svc.Supervision(r.Context(), user(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.supervisionView(s))
}

// replySupervision serves POST /api/v1/supervisions/{id}/reply
// {"reply": "...", "files": [attachment ids]}: the addressed unit answers, once.
func (a *API) replySupervision(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	var req struct {
		Reply string   `json:"reply"`
		Files []string `json:"files"`
	}
	if !a.decode(w, r, &req) {
		return
	}
	s, err := a.svc.ReplySupervision(r.Context(), user(r), id, req.Reply, req.Files)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.supervisionView(s))
}
