package service

// Use cases the web pages need that the JSON API does not (yet): the
// citizen's photos on a new report, the citizen's own rating of a closed
// case, scoped counts for the inbox tabs, overdue cases for 督办, public
// figures by street, and the staff directory for administrators.

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

// Timeline actions written by the citizen outside the workflow definition.
const (
	// EventCitizenPhotos records photos the citizen sent with a new report.
	EventCitizenPhotos = "attach"
	// EventCitizenRating records the citizen's own rating of a closed case.
	EventCitizenRating = "rate"
)

// CitizenRatings are the ratings a citizen may give a closed case, as in
// the follow-up call.
var CitizenRatings = []string{"satisfied", "basically_satisfied", "dissatisfied"}

// MaxReportPhotos is how many photos a report may carry.
const MaxReportPhotos = 6

// ErrAlreadyRated is returned when the citizen rated the case already.
var ErrAlreadyRated = errors.New("already rated")

// AttachReportPhotos records the photos a citizen sent with the report that
// created c, as a timeline entry of the citizen that leaves the state as it
// is. Every id must name a stored attachment.
func (s *Service) AttachReportPhotos(ctx context.Context, c model.Case, ids []string) (model.Case, error) {
	return s.AttachCreatePhotos(ctx, model.User{}, c, ids)
}

// AttachCreatePhotos records the photos sent with the form that created c
// as a timeline entry of actor (the zero User for a citizen) that leaves
// the state as it is: a staff member's case-entry form, a citizen's report.
func (s *Service) AttachCreatePhotos(ctx context.Context, actor model.User, c model.Case, ids []string) (model.Case, error) {
	if len(ids) == 0 {
		return c, nil
	}
	if len(ids) > MaxReportPhotos {
		return c, Invalid("photos", "field.too_many_files", MaxReportPhotos)
	}
	for _, id := range ids {
		if !s.mayLinkAttachment(ctx, actor, id) {
			return c, Invalid("photos", "field.unknown_attachment")
		}
	}
	now := s.now()
	next := c
	next.Version, next.UpdatedAt = c.Version+1, now
	ev := model.Event{At: now, ActorID: actor.ID, ActorName: actorName(actor), Role: orCitizen(actor.Role), Action: EventCitizenPhotos,
		FromState: c.Status, ToState: c.Status, Attachments: ids}
	if err := s.store.UpdateCase(ctx, &next, c.Version, &ev); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return c, ErrConflict
		}
		return c, err
	}
	return next, nil
}

// DefaultChannel is the channel a case created by role comes from when
// none is given: a grid worker's patrol, the hotline for other staff, the
// app for citizens.
func DefaultChannel(role model.Role) model.Channel { return defaultChannel(role) }

// CitizenRated reports whether the citizen rated the case since it was
// last closed.
func CitizenRated(tl []model.Event) bool {
	for i := len(tl) - 1; i >= 0; i-- {
		ev := tl[i]
		if ev.Action == EventCitizenRating && ev.Role == model.RoleCitizen {
			return true
		}
		if ev.ToState == model.StateClosed && ev.FromState != model.StateClosed {
			return false
		}
	}
	return false
}

// RateByReceipt records the citizen's rating of the case with the receipt
// code: one of CitizenRatings, with an optional comment. It is accepted only when
// the case is closed and the citizen has not rated it since it closed. The
// rating is the case's satisfaction, as a follow-up call's result is.
func (s *Service) RateByReceipt(ctx context.Context, receipt, result, comment string) (model.Case, error) {
	c, tl, err := s.CaseByReceipt(ctx, receipt)
	if err != nil {
		return c, err
	}
	v := &ValidationError{}
	if !slices.Contains(CitizenRatings, result) {
		if result == "" {
			v.add("result", "field.required")
		} else {
			v.add("result", "field.bad_result")
		}
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > MaxNote {
		v.add("note", "field.too_long", MaxNote)
	}
	if c.Status != model.StateClosed {
		return c, ErrInvalidState
	}
	if CitizenRated(tl) {
		return c, ErrAlreadyRated
	}
	if err := v.err(); err != nil {
		return c, err
	}
	now := s.now()
	next := c
	next.Version, next.UpdatedAt, next.Satisfaction = c.Version+1, now, result
	ev := model.Event{At: now, ActorName: actorName(model.User{}), Role: model.RoleCitizen, Action: EventCitizenRating,
		FromState: c.Status, ToState: c.Status, Note: comment, Result: result}
	if err := s.store.UpdateCase(ctx, &next, c.Version, &ev); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return c, ErrConflict
		}
		return c, err
	}
	return next, nil
}

// webScope narrows a filter to what actor may list, as ListCases does.
// (ListCases should share this one function; until then keep them alike.)
func (s *Service) webScope(actor model.User, f model.CaseFilter) (model.CaseFilter, error) {
	switch actor.Role {
	case model.RoleUnit:
		f.UnitID = actor.OrgID
	case model.RoleGridWorker:
		f.GridID = actor.OrgID
	case model.RoleCitizen, "":
		return f, ErrForbidden
	}
	f.HideTypes = s.hiddenTypes(actor.Role)
	return f, nil
}

// CountCasesFor counts the cases matching f that actor may list.
func (s *Service) CountCasesFor(ctx context.Context, actor model.User, f model.CaseFilter) (int, error) {
	f, err := s.webScope(actor, f)
	if err != nil {
		return 0, err
	}
	return s.store.CountCases(ctx, f)
}

// MayAct reports whether actor acts on c at all (a unit on its own cases, a
// grid worker in their grid); the workflow decides which actions.
func (s *Service) MayAct(actor model.User, c model.Case) bool {
	return s.CanSee(actor, c) && s.inScope(actor, c)
}

// WebClockStates are the states in which the handling clock runs.
var WebClockStates = []model.State{model.StateDispatched, model.StateHandling}

// OverdueCases returns the cases actor may list that are past their
// deadline while the clock runs (督办), newest first after f.AfterID, at
// most limit of them, and how many there are in all.
//
// The store cannot filter on due_at yet, so this walks the open cases in
// pages; open cases are a small part of all cases, but this is the query
// to move into the store when the supervision engine lands.
func (s *Service) OverdueCases(ctx context.Context, actor model.User, f model.CaseFilter, now time.Time, limit int) ([]model.Case, int, error) {
	f, err := s.webScope(actor, f)
	if err != nil {
		return nil, 0, err
	}
	after := f.AfterID
	f.AfterID, f.Status, f.Limit = 0, WebClockStates, 1000
	var out []model.Case
	total := 0
	for {
		page, err := s.store.ListCases(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		for _, c := range page {
			if c.DueAt.IsZero() || !c.DueAt.Before(now) || !s.CanSee(actor, c) {
				continue
			}
			total++
			if (after == 0 || c.ID < after) && len(out) < limit {
				out = append(out, c)
			}
		}
		if len(page) < f.Limit {
			return out, total, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// StreetFigure is one street's or township's public figures.
type StreetFigure struct {
	StreetID int64
	Name     string
	// Received counts every case in the street; Accepted leaves out the
	// rejected and merged ones; Closed counts those closed.
	Received, Accepted, Closed int
}

// Rate is Closed / Accepted, 0 when nothing was accepted.
func (f StreetFigure) Rate() float64 {
	if f.Accepted == 0 {
		return 0
	}
	return float64(f.Closed) / float64(f.Accepted)
}

// PublicStreetFigures counts cases by street and township: nothing
// personal, and no case of a type the public may not see.
func (s *Service) PublicStreetFigures(ctx context.Context) ([]StreetFigure, error) {
	ref := s.Ref()
	hide := s.hiddenTypes(model.RoleCitizen)
	var out []StreetFigure
	for _, o := range ref.OrgList() {
		if o.Kind != model.OrgStreet && o.Kind != model.OrgTownship {
			continue
		}
		f := StreetFigure{StreetID: o.ID, Name: o.Name}
		var err error
		if f.Received, err = s.store.CountCases(ctx, model.CaseFilter{StreetID: o.ID, HideTypes: hide}); err != nil {
			return nil, err
		}
		notAccepted, err := s.store.CountCases(ctx, model.CaseFilter{StreetID: o.ID, HideTypes: hide, Status: []model.State{model.StateRejected, model.StateMerged}})
		if err != nil {
			return nil, err
		}
		f.Accepted = f.Received - notAccepted
		if f.Closed, err = s.store.CountCases(ctx, model.CaseFilter{StreetID: o.ID, HideTypes: hide, Status: []model.State{model.StateClosed}}); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// StaffDirectory lists the accounts for an administrator, without their
// password hashes.
func (s *Service) StaffDirectory(ctx context.Context, actor model.User) ([]model.User, error) {
	if actor.Role != model.RoleAdmin {
		return nil, ErrForbidden
	}
	users, err := s.store.ListUsers(ctx)
	for i := range users {
		users[i].PasswordHash = ""
	}
	return users, err
}
