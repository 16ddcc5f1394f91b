package store

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// EngineStore is what the workflow engine keeps beyond cases: deadline timers,
// supervision documents, notifications and the definitions and calendar
// years an administrator loaded.
type EngineStore interface {
	Timers
	Supervisions
}

// Timer kinds.
const (
	TimerWarn     = "warn"      // a clock reached its warning share: the case turns yellow
	TimerDue      = "due"       // a clock reached its due time: red, and an automatic 督办单
	TimerReplyDue = "reply_due" // a supervision document's reply is due
)

// Timer is one persisted deadline. It fires at most once.
type Timer struct {
	ID            int64
	CaseID        int64
	SupervisionID int64
	Clock         string
	Kind          string
	FireAt        time.Time
	CreatedAt     time.Time
	FiredAt       time.Time
	CancelledAt   time.Time
}

// TimerSpec is a timer a case should have now.
type TimerSpec struct {
	Clock  string
	Kind   string
	FireAt time.Time
}

// Escalation is what firing a timer writes, with the claim, in one
// transaction.
type Escalation struct {
	Supervision   *Supervision // an automatic 督办单, or nil
	Notifications []Notification
}

// Notification tells a unit (UnitID) or a person (UserID) about a case or a
// supervision document.
type Notification struct {
	ID            int64     `json:"id"`
	UnitID        int64     `json:"unit_id,omitempty"`
	UserID        int64     `json:"user_id,omitempty"`
	Kind          string    `json:"kind"` // warning, overdue, supervision, reply_overdue, reply
	CaseID        int64     `json:"case_id,omitempty"`
	SupervisionID int64     `json:"supervision_id,omitempty"`
	Title         string    `json:"title"`
	CreatedAt     time.Time `json:"created_at"`
	ReadAt        time.Time `json:"read_at,omitzero"`
}

// StoredDefinition is a case-type definition an administrator added.
type StoredDefinition struct {
	Type       string
	Version    int
	Definition []byte // the checked definition, as JSON
	CreatedBy  int64
	CreatedAt  time.Time
}

// StoredYear is a holiday arrangement an administrator loaded.
type StoredYear struct {
	Year     int
	Data     []byte // the year file
	LoadedBy int64
	LoadedAt time.Time
}

// Timers keeps deadline timers and what they set off.
type Timers interface {
	// CreateCaseTimed is CreateCase that also inserts the case's timers.
	CreateCaseTimed(ctx context.Context, c *model.Case, ev *model.Event, idemKey string, timers []TimerSpec) error
	// UpdateCaseTimed is UpdateCase that also brings the case's timers to
	// timers: listed ones are inserted (or revived if cancelled), other
	// unfired or fired ones are cancelled; fired ones never fire again. It
	// sets c.Alert to what the live fired timers say.
	UpdateCaseTimed(ctx context.Context, c *model.Case, expectVersion int, ev *model.Event, timers []TimerSpec) error
	// DueTimers returns up to limit unfired, uncancelled timers due at or
	// before now, earliest first (through an index on the fire time).
	DueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error)
	// FireTimer claims the timer (only if still unfired and not cancelled)
	// and writes esc in the same transaction. It reports false when the
	// timer was already fired, by this node or another, or cancelled.
	FireTimer(ctx context.Context, id int64, now time.Time, esc Escalation) (bool, error)
	// CaseTimers lists a case's timers, oldest first.
	CaseTimers(ctx context.Context, caseID int64) ([]Timer, error)

	// Notifications lists the newest notifications of a unit or a user.
	Notifications(ctx context.Context, unitID, userID int64, limit int) ([]Notification, error)
	// MarkNotificationRead marks one read if it belongs to the unit or user.
	MarkNotificationRead(ctx context.Context, id, unitID, userID int64, at time.Time) error

	// PutWorkflowDefinition stores a new definition version; ErrConflict
	// if the type already has that version.
	PutWorkflowDefinition(ctx context.Context, d StoredDefinition) error
	WorkflowDefinitions(ctx context.Context) ([]StoredDefinition, error)
	// PutCalendarYear stores (or replaces) a year's holiday arrangement.
	PutCalendarYear(ctx context.Context, y StoredYear) error
	CalendarYears(ctx context.Context) ([]StoredYear, error)
}
