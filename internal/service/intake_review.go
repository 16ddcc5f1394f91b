package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// mayReview: who works the review queue of low-confidence machine events.
func mayReview(r model.Role) bool {
	switch r {
	case model.RoleOperator, model.RoleSupervisor, model.RoleAdmin:
		return true
	}
	return false
}

// ReviewQueue lists machine events by status (default: waiting for
// review), newest first.
func (in *Intake) ReviewQueue(ctx context.Context, actor model.User, f store.MachineEventFilter) ([]store.MachineEvent, error) {
	if !mayReview(actor.Role) {
		return nil, intakeForbidden(actor)
	}
	if f.Status == "" {
		f.Status = store.MachineReview
	}
	switch f.Status {
	case store.MachineReview, store.MachineOpen, store.MachineDismissed, store.MachineClosed, "all":
	default:
		return nil, Invalid("status", "field.unknown_value")
	}
	if f.Status == "all" {
		f.Status = ""
	}
	return in.s.store.ListMachineEvents(ctx, f)
}

// ReviewInput is what a reviewer may add.
type ReviewInput struct {
	Note        string
	Description string // confirm: the case's description instead of the generated one
}

// Confirm turns a machine event waiting for review into a case (channel
// video), created in the reviewer's name.
func (in *Intake) Confirm(ctx context.Context, actor model.User, id int64, ri ReviewInput) (store.MachineEvent, model.Case, error) {
	var c model.Case
	if !mayReview(actor.Role) {
		return store.MachineEvent{}, c, intakeForbidden(actor)
	}
	note, desc, err := reviewText(ri)
	if err != nil {
		return store.MachineEvent{}, c, err
	}
	rec, err := in.s.store.MachineEvent(ctx, id)
	if err != nil {
		return rec, c, intakeNotFound(err)
	}
	if rec.Status != store.MachineReview {
		return rec, c, ErrInvalidState
	}
	src, err := in.source(ctx, rec.SourceID)
	if err != nil {
		return rec, c, err
	}
	if desc != "" {
		rec.Description = desc
	}
	nc, err := in.s.machineCase(in.s.Ref(), src, rec, actor, in.s.now(), note)
	if err != nil {
		return rec, c, err
	}
	rec, err = in.s.store.ConfirmMachineEvent(ctx, id, &nc, actor.ID, in.s.now(), note)
	if errors.Is(err, store.ErrConflict) {
		return rec, c, ErrInvalidState
	}
	if err != nil {
		return rec, c, intakeNotFound(err)
	}
	return rec, nc.Case, nil
}

// Dismiss takes a machine event out of the review queue as a false alarm;
// its repeats within the window are suppressed.
func (in *Intake) Dismiss(ctx context.Context, actor model.User, id int64, ri ReviewInput) (store.MachineEvent, error) {
	if !mayReview(actor.Role) {
		return store.MachineEvent{}, intakeForbidden(actor)
	}
	note, _, err := reviewText(ri)
	if err != nil {
		return store.MachineEvent{}, err
	}
	rec, err := in.s.store.DismissMachineEvent(ctx, id, actor.ID, in.s.now(), note)
	if errors.Is(err, store.ErrConflict) {
		return rec, ErrInvalidState
	}
	return rec, intakeNotFound(err)
}

// CaseMachineEvents lists the machine-event records of a case the actor
// may see: how often, from where and until when the event was seen.
func (in *Intake) CaseMachineEvents(ctx context.Context, actor model.User, caseID int64) ([]store.MachineEvent, error) {
	if _, _, err := in.s.Case(ctx, actor, caseID); err != nil {
		return nil, err
	}
	return in.s.store.ListMachineEvents(ctx, store.MachineEventFilter{CaseID: caseID, Limit: 1000})
}

func (in *Intake) source(ctx context.Context, id int64) (store.EventSource, error) {
	srcs, err := in.s.store.EventSources(ctx)
	if err != nil {
		return store.EventSource{}, err
	}
	for _, s := range srcs {
		if s.ID == id {
			return s, nil
		}
	}
	return store.EventSource{}, ErrNotFound
}

func reviewText(ri ReviewInput) (note, desc string, err error) {
	v := &ValidationError{}
	note, desc = strings.TrimSpace(ri.Note), strings.TrimSpace(ri.Description)
	if utf8.RuneCountInString(note) > MaxNote {
		v.add("note", "field.too_long", MaxNote)
	}
	if utf8.RuneCountInString(desc) > MaxDescription {
		v.add("description", "field.too_long", MaxDescription)
	}
	return note, desc, v.err()
}

func intakeForbidden(actor model.User) error {
	if actor.ID == 0 {
		return ErrUnauthorized
	}
	return ErrForbidden
}

func intakeNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
