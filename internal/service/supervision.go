package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Supervision is a supervision document (督办单, 工作提示函, 纪检监察建议书,
// 约谈记录) as the service hands it out.
type Supervision = store.Supervision

// Notification is a message to a unit or a person.
type Notification = store.Notification

// supervisionKinds are the document kinds with who may issue them.
var supervisionKinds = map[string]struct {
	label  string
	issuer []model.Role
}{
	store.SupervisionDuban:          {"督办单", []model.Role{model.RoleSupervisor, model.RoleLeader, model.RoleDiscipline, model.RoleAdmin}},
	store.SupervisionReminder:       {"工作提示函", []model.Role{model.RoleDiscipline, model.RoleLeader}},
	store.SupervisionRecommendation: {"纪检监察建议书", []model.Role{model.RoleDiscipline}},
	store.SupervisionInterview:      {"约谈记录", []model.Role{model.RoleDiscipline, model.RoleLeader}},
}

func supervisionKindLabel(kind string) string { return supervisionKinds[kind].label }

// SupervisionKindLabel names a document kind in Chinese.
func SupervisionKindLabel(kind string) string { return supervisionKindLabel(kind) }

// Limits of a supervision document's text, in characters.
const (
	MaxSupervisionTitle = 200
	MaxSupervisionBody  = 4000
	MaxReplyWorkingDays = 30
)

// IssueSupervision is the input of a new supervision document.
type IssueSupervision struct {
	Kind   string
	UnitID int64
	Title  string
	Body   string
	Cases  []int64
	// DueAt is the reply deadline; zero means ReplyWorkingDays working days
	// from now (default 3).
	DueAt            time.Time
	ReplyWorkingDays int
}

// IssueSupervision issues a document to a unit and notifies it.
func (s *Service) IssueSupervision(ctx context.Context, actor model.User, in IssueSupervision) (Supervision, error) {
	var sup Supervision
	k, ok := supervisionKinds[in.Kind]
	if ok && !slices.Contains(k.issuer, actor.Role) {
		return sup, ErrForbidden
	}
	v := &ValidationError{}
	if !ok {
		v.add("kind", "field.bad_enum")
	}
	ref := s.Ref()
	if o, ok := ref.Org[in.UnitID]; !ok || o.Kind == model.OrgGrid {
		v.add("unit", "field.unknown_unit")
	}
	title, body := strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	switch {
	case title == "":
		v.add("title", "field.required")
	case utf8.RuneCountInString(title) > MaxSupervisionTitle:
		v.add("title", "field.too_long", MaxSupervisionTitle)
	}
	if utf8.RuneCountInString(body) > MaxSupervisionBody {
		v.add("body", "field.too_long", MaxSupervisionBody)
	}
	var cases []int64
	for _, id := range in.Cases {
		c, err := s.store.Case(ctx, id)
		if err != nil || !s.CanSee(actor, c) {
			v.add("cases", "field.unknown_case")
			break
		}
		if !slices.Contains(cases, id) {
			cases = append(cases, id)
		}
	}
	now := s.now()
	due := in.DueAt
	switch {
	case !due.IsZero() && !due.After(now):
		v.add("due_at", "field.not_future")
	case due.IsZero():
		n := in.ReplyWorkingDays
		if n == 0 {
			n = 3
		}
		if n < 1 || n > MaxReplyWorkingDays {
			v.add("reply_working_days", "field.days_range", MaxReplyWorkingDays)
			break
		}
		d, err := s.Calendar().AddWorkingDays(now, n)
		if err != nil {
			v.add("reply_working_days", "field.no_calendar")
		}
		due = d
	}
	if err := v.err(); err != nil {
		return sup, err
	}
	sup = Supervision{Kind: in.Kind, Title: title, Body: body, UnitID: in.UnitID, IssuedBy: actor.ID, IssuerName: actorName(actor),
		IssuedAt: now, DueAt: due.Truncate(time.Millisecond), Status: store.SupervisionOpen, CaseIDs: cases}
	if sup.CaseIDs == nil {
		sup.CaseIDs = []int64{}
	}
	note := store.Notification{UnitID: in.UnitID, Kind: "supervision", Title: "【" + k.label + "】" + title + "（请于" + fmtTime(sup.DueAt) + "前回复）", CreatedAt: now}
	if len(cases) == 1 {
		note.CaseID = cases[0]
	}
	if err := s.store.CreateSupervision(ctx, &sup, []store.Notification{note}); err != nil {
		return sup, err
	}
	return sup, nil
}

// visibleKinds is what a role may read: recommendations of the discipline
// commission stay with it, leaders and the unit they are addressed to.
func visibleKinds(role model.Role) []string {
	switch role {
	case model.RoleDiscipline, model.RoleLeader, model.RoleAdmin, model.RoleUnit:
		return []string{store.SupervisionDuban, store.SupervisionReminder, store.SupervisionRecommendation, store.SupervisionInterview}
	case model.RoleSupervisor, model.RoleDispatcher, model.RoleOperator:
		return []string{store.SupervisionDuban, store.SupervisionReminder, store.SupervisionInterview}
	}
	return nil
}

// ListSupervisions lists the documents actor may see; a unit sees those
// addressed to it.
func (s *Service) ListSupervisions(ctx context.Context, actor model.User, f store.SupervisionFilter) ([]Supervision, error) {
	kinds := visibleKinds(actor.Role)
	if kinds == nil {
		return nil, ErrForbidden
	}
	if actor.Role == model.RoleUnit {
		f.UnitID = actor.OrgID
	}
	f.Kinds = kinds
	return s.store.ListSupervisions(ctx, f)
}

// Supervision returns one document actor may see.
func (s *Service) Supervision(ctx context.Context, actor model.User, id int64) (Supervision, error) {
	sup, err := s.store.Supervision(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return sup, ErrNotFound
	}
	if err != nil {
		return sup, err
	}
	if !slices.Contains(visibleKinds(actor.Role), sup.Kind) || (actor.Role == model.RoleUnit && sup.UnitID != actor.OrgID) {
		return sup, ErrNotFound
	}
	return sup, nil
}

// ReplySupervision records the addressed unit's reply, once, and tells the
// issuer.
func (s *Service) ReplySupervision(ctx context.Context, actor model.User, id int64, reply string, files []string) (Supervision, error) {
	sup, err := s.Supervision(ctx, actor, id)
	if err != nil {
		return sup, err
	}
	if actor.Role != model.RoleUnit || sup.UnitID != actor.OrgID {
		return sup, ErrForbidden
	}
	v := &ValidationError{}
	reply = strings.TrimSpace(reply)
	switch {
	case reply == "":
		v.add("reply", "field.required")
	case utf8.RuneCountInString(reply) > MaxSupervisionBody:
		v.add("reply", "field.too_long", MaxSupervisionBody)
	}
	for _, f := range files {
		if !s.mayLinkAttachment(ctx, actor, f) {
			v.add("files", "field.unknown_attachment")
		}
	}
	if sup.Status != store.SupervisionOpen {
		return sup, ErrInvalidState
	}
	if err := v.err(); err != nil {
		return sup, err
	}
	now := s.now()
	var notes []store.Notification
	if sup.IssuedBy != 0 {
		notes = append(notes, store.Notification{UserID: sup.IssuedBy, Kind: "reply", Title: "【已回复】" + supervisionKindLabel(sup.Kind) + "“" + sup.Title + "”", CreatedAt: now})
	}
	if err := s.store.ReplySupervision(ctx, id, reply, files, actor.ID, now, notes); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return sup, ErrInvalidState
		}
		return sup, err
	}
	return s.store.Supervision(ctx, id)
}

// Notifications lists what actor's unit and actor were told, newest first.
func (s *Service) Notifications(ctx context.Context, actor model.User, limit int) ([]Notification, error) {
	if actor.ID == 0 {
		return nil, ErrUnauthorized
	}
	unit := int64(0)
	if actor.Role == model.RoleUnit {
		unit = actor.OrgID
	}
	return s.store.Notifications(ctx, unit, actor.ID, limit)
}

// MarkNotificationRead marks one of actor's notifications read.
func (s *Service) MarkNotificationRead(ctx context.Context, actor model.User, id int64) error {
	unit := int64(0)
	if actor.Role == model.RoleUnit {
		unit = actor.OrgID
	}
	err := s.store.MarkNotificationRead(ctx, id, unit, actor.ID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
