package store

import (
	"context"
	"encoding/binary"
	"errors"
	"github.com/yiwang-gov/yiwang/internal/audit"
	"hash/fnv"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// ErrSaturated is returned when a bounded queue is full: the caller should
// answer 429 and try again later. Nothing was written.
var ErrSaturated = errors.New("store: queue saturated")

// EventSource is a video-analytics or IoT platform registered to post
// machine events. Only the SHA-256 of its key is kept.
type EventSource struct {
	ID        int64
	Code      string // the source_id it posts, e.g. "xueliang-video"
	Name      string
	Kind      string // "video" or "sensor"
	KeyPrefix string
	KeyHash   string
	// MinConfidence: an event below it waits in the review queue for a
	// person (default 0.6).
	MinConfidence float64
	// FoldWindow and FoldDistanceM: a repeat of an open event from the same
	// source, device (or place) and type within the window and distance is
	// folded into it (defaults 10 min, 50 m).
	FoldWindow    time.Duration
	FoldDistanceM float64
	// NoteEvery: a folded repeat adds a timeline note to the case at most
	// once per NoteEvery repeats (default 10).
	NoteEvery int
	// TypeMap maps the source's event types to category codes; a type not
	// in it must be a category code itself.
	TypeMap   map[string]string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is valid
}

// Machine-event record statuses.
const (
	MachineReview    = "review"    // low confidence: waits for a person
	MachineOpen      = "open"      // has a case; repeats fold into it
	MachineDismissed = "dismissed" // a person dismissed it; repeats are suppressed
	MachineClosed    = "closed"    // its case reached a terminal state
)

// Ingest outcomes, one per event.
const (
	OutcomeCreated    = "created"    // a new case
	OutcomeFolded     = "folded"     // a repeat, counted on an open case's record
	OutcomeReview     = "review"     // a new or repeated low-confidence event in the review queue
	OutcomeSuppressed = "suppressed" // a repeat of a dismissed event
)

// MachineEvent is one open event of a machine source: its first sighting
// and every repeat folded into it (Count, LastAt).
type MachineEvent struct {
	ID            int64     `json:"id"`
	SourceID      int64     `json:"source_id"`
	SourceCode    string    `json:"source"`
	DeviceID      string    `json:"device_id,omitempty"`
	EventType     string    `json:"event_type"`
	CategoryID    int64     `json:"category_id"`
	Status        string    `json:"status"`
	CaseID        int64     `json:"case_id,omitempty"`
	Count         int       `json:"count"`
	Noted         int       `json:"-"`          // Count at the last timeline note
	Confidence    float64   `json:"confidence"` // the highest seen
	Lat           float64   `json:"lat"`
	Lng           float64   `json:"lng"`
	ComponentCode string    `json:"component_code,omitempty"`
	Address       string    `json:"address,omitempty"`
	Description   string    `json:"description,omitempty"`
	Snapshot      string    `json:"snapshot,omitempty"`      // attachment id of the first snapshot
	LastSnapshot  string    `json:"last_snapshot,omitempty"` // and of the latest
	FirstAt       time.Time `json:"first_at"`
	LastAt        time.Time `json:"last_at"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	ReviewedBy    int64     `json:"reviewed_by,omitempty"`
	ReviewedAt    time.Time `json:"reviewed_at,omitzero"`
	ReviewNote    string    `json:"review_note,omitempty"`
}

// NewMachineCase is a case to create for an event, with its first timeline
// entry and timers.
type NewMachineCase struct {
	Case   model.Case
	Event  model.Event
	Timers []TimerSpec
}

// MachineEventInput is one machine event to record. The store decides,
// inside the write transaction, whether it folds into an open record or
// starts a new one.
type MachineEventInput struct {
	SourceID int64
	// EventID is the source's own id for the event, or "": a second event
	// with the same id is a retry, answered with the first one's outcome
	// and not counted again.
	EventID string
	// ContentHash fingerprints the event's content (set with EventID): a
	// second event under a known id with another hash is a conflict, not
	// a retry.
	ContentHash string
	// Audit, when set, is the posting request's audit entry: it is
	// committed with this event (its first written event), naming it.
	Audit         *audit.Entry
	DeviceID      string // "" when the event is located by place only
	EventType     string
	CategoryID    int64
	Confidence    float64
	At            time.Time
	Lat, Lng      float64 // WGS-84
	ComponentCode string
	Address       string
	Description   string
	Snapshot      string // attachment id, or ""
	// Review: the confidence is below the source's threshold.
	Review bool
	// Fold policy of the source.
	Window    time.Duration
	DistanceM float64
	NoteEvery int
	// Terminal lists the case states that end an event: a repeat after the
	// case reached one starts a new case.
	Terminal []model.State
	// NewCase builds the case for a first sighting. It is called inside
	// the writer, only when the event does not fold.
	NewCase func() (NewMachineCase, error)
	// Note builds the timeline entry added to the case when a repeat is
	// due a note (count is the new total). The store sets its case, seq,
	// states and unit.
	Note func(rec MachineEvent) model.Event
	// Now is when the event was received.
	Now time.Time
}

// FoldKey hashes what decides which events may fold into one another
// (source, device, category): the intake spreads events over its writers
// by it and, on PostgreSQL, takes a lock per key. Two keys sharing a hash
// only wait for each other.
func (in *MachineEventInput) FoldKey() uint32 {
	h := fnv.New32a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(in.SourceID))
	binary.LittleEndian.PutUint64(b[8:], uint64(in.CategoryID))
	h.Write(b[:])
	h.Write([]byte(in.DeviceID))
	return h.Sum32()
}

// MachineEventResult is what became of one event.
type MachineEventResult struct {
	Outcome string
	Record  MachineEvent
	Case    model.Case // set when Outcome is OutcomeCreated (only ID and Receipt for a duplicate)
	// Duplicate: the source sent this event id before; Outcome is what
	// became of it then, Record the record as it is now.
	Duplicate bool
	// Conflict: the source sent this event id before with other content
	// (ContentHash); nothing was written and the other fields are empty.
	Conflict bool
	Err      error
}

// MachineEventFilter selects records. Zero fields do not filter.
type MachineEventFilter struct {
	Status   string
	CaseID   int64
	SourceID int64
	AfterID  int64 // keyset: records with id < AfterID (newest first)
	Limit    int
}

// IntakeStore keeps machine-event sources and their events.
type IntakeStore interface {
	// CreateEventSource inserts s and sets s.ID; ErrConflict if the code is taken.
	CreateEventSource(ctx context.Context, s *EventSource) error
	// EventSources lists every source, revoked or not.
	EventSources(ctx context.Context) ([]EventSource, error)
	// RevokeEventSource marks a source's key revoked; ErrNotFound if there is none.
	RevokeEventSource(ctx context.Context, id int64, at time.Time) error
	// IngestMachineEvents records the events in order in one transaction,
	// each in its own savepoint: one event failing (its Err set) leaves the
	// others written and writes nothing of itself. The results are
	// returned after the commit. A batching store may return ErrSaturated
	// without writing anything.
	IngestMachineEvents(ctx context.Context, in []MachineEventInput) ([]MachineEventResult, error)
	MachineEvent(ctx context.Context, id int64) (MachineEvent, error)
	// ListMachineEvents lists records newest first.
	ListMachineEvents(ctx context.Context, f MachineEventFilter) ([]MachineEvent, error)
	// CountMachineEvents counts the records f selects, ignoring its
	// Limit and AfterID.
	CountMachineEvents(ctx context.Context, f MachineEventFilter) (int, error)
	// ConfirmMachineEvent creates the case for a record waiting for review
	// and links it, in one transaction; ErrConflict if the record is no
	// longer waiting.
	ConfirmMachineEvent(ctx context.Context, id int64, nc *NewMachineCase, by int64, at time.Time, note string) (MachineEvent, error)
	// DismissMachineEvent dismisses a record waiting for review;
	// ErrConflict if it is no longer waiting.
	DismissMachineEvent(ctx context.Context, id int64, by int64, at time.Time, note string) (MachineEvent, error)
	// PruneMachineEventIDs forgets sources' event ids received before
	// before; a retry after that counts as a new sighting.
	PruneMachineEventIDs(ctx context.Context, before time.Time) (int64, error)
}
