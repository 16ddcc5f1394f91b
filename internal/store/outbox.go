package store

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// OutboxEvent is a committed case event waiting for a sink, with what a
// subscriber needs to route it.
type OutboxEvent struct {
	Event    model.Event
	CaseType string
	Receipt  string
	Status   model.State
	UnitID   int64
}

// OutboxStore feeds the event publishers.
type OutboxStore interface {
	// PendingEvents returns up to limit events the sink has not delivered,
	// oldest first.
	PendingEvents(ctx context.Context, sink string, limit int) ([]OutboxEvent, error)
	// MarkDelivered records that sink delivered the events.
	MarkDelivered(ctx context.Context, sink string, eventIDs []int64, at time.Time) error
	// PruneOutbox forgets events older than before that every sink in
	// sinks has delivered.
	PruneOutbox(ctx context.Context, sinks []string, before time.Time) (int64, error)
}
