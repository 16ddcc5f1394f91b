package service

// What the review-queue page (人工复核) needs beyond the JSON API: whether
// a role may review (for the navigation), one record with its snapshots,
// the number of records waiting, and the sources by id.

import (
	"context"
	"os"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// MayReview says whether a role works the review queue of low-confidence
// machine events; the pages show the queue's link only to these roles.
func MayReview(r model.Role) bool { return mayReview(r) }

// ReviewRecord returns one machine-event record to a reviewer, whatever
// its status (the page serves its snapshots from it).
func (in *Intake) ReviewRecord(ctx context.Context, actor model.User, id int64) (store.MachineEvent, error) {
	if !mayReview(actor.Role) {
		return store.MachineEvent{}, intakeForbidden(actor)
	}
	rec, err := in.s.store.MachineEvent(ctx, id)
	if err != nil {
		return rec, intakeNotFound(err)
	}
	return rec, nil
}

// OpenReviewSnapshot returns a snapshot of a record to a reviewer, only if
// it is that record's (a record waiting for review has no case yet, so the
// record, not a case, is what grants the read).
func (in *Intake) OpenReviewSnapshot(ctx context.Context, actor model.User, id int64, file string) (model.Attachment, *os.File, error) {
	rec, err := in.ReviewRecord(ctx, actor, id)
	if err != nil {
		return model.Attachment{}, nil, err
	}
	if !validAttachmentID(file) || (file != rec.Snapshot && file != rec.LastSnapshot) {
		return model.Attachment{}, nil, ErrNotFound
	}
	a, err := in.s.store.Attachment(ctx, file)
	if err != nil {
		return a, nil, ErrNotFound
	}
	return in.s.openFile(a)
}

// ReviewCount counts the records waiting for review, of one source when
// sourceID is not 0.
func (in *Intake) ReviewCount(ctx context.Context, actor model.User, sourceID int64) (int, error) {
	if !mayReview(actor.Role) {
		return 0, intakeForbidden(actor)
	}
	return in.s.store.CountMachineEvents(ctx, store.MachineEventFilter{Status: store.MachineReview, SourceID: sourceID})
}

// ReviewSources lists the event sources for a reviewer (names and codes
// for the page; the key hash stays in the service).
func (in *Intake) ReviewSources(ctx context.Context, actor model.User) ([]store.EventSource, error) {
	if !mayReview(actor.Role) {
		return nil, intakeForbidden(actor)
	}
	srcs, err := in.s.store.EventSources(ctx)
	if err != nil {
		return nil, err
	}
	for i := range srcs {
		srcs[i].KeyHash = ""
	}
	return srcs, nil
}
