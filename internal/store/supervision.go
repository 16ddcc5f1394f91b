package store

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// Supervision document kinds.
const (
	SupervisionDuban          = "duban"          // 督办单
	SupervisionReminder       = "reminder"       // 工作提示函
	SupervisionRecommendation = "recommendation" // 纪检监察建议书
	SupervisionInterview      = "interview"      // 约谈记录
)

// Supervision is a supervision document issued to a unit about some cases,
// with a reply deadline, tracked until the unit replies.
type Supervision struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Auto        bool      `json:"auto"` // issued by a deadline timer
	Title       string    `json:"title"`
	Body        string    `json:"body,omitempty"`
	UnitID      int64     `json:"unit_id"`
	IssuedBy    int64     `json:"issued_by,omitempty"`
	IssuerName  string    `json:"issuer_name"`
	IssuedAt    time.Time `json:"issued_at"`
	DueAt       time.Time `json:"due_at,omitzero"` // reply deadline
	Status      string    `json:"status"`          // open, replied
	Reply       string    `json:"reply,omitempty"`
	ReplyFiles  []string  `json:"reply_files,omitempty"`
	RepliedBy   int64     `json:"replied_by,omitempty"`
	RepliedAt   time.Time `json:"replied_at,omitzero"`
	CaseIDs     []int64   `json:"case_ids"`
	SourceTimer int64     `json:"-"`
}

// Supervision statuses.
const (
	SupervisionOpen    = "open"
	SupervisionReplied = "replied"
)

// SupervisionFilter selects supervision documents; zero fields do not filter.
type SupervisionFilter struct {
	UnitID  int64
	CaseID  int64
	Status  string
	Kinds   []string // only these kinds (what the viewer may see)
	AfterID int64    // keyset: id < AfterID, newest first
	Limit   int
}

// Supervisions keeps supervision documents and answers the daily dispatch
// sheet's questions.
type Supervisions interface {
	// CreateSupervision inserts s (setting s.ID) with its case links, its
	// reply timer when s.DueAt is set, and the notifications, in one
	// transaction.
	CreateSupervision(ctx context.Context, s *Supervision, notes []Notification) error
	Supervision(ctx context.Context, id int64) (Supervision, error)
	ListSupervisions(ctx context.Context, f SupervisionFilter) ([]Supervision, error)
	// ReplySupervision records the reply of an open document and cancels
	// its reply timer; ErrConflict if it was already replied.
	ReplySupervision(ctx context.Context, id int64, reply string, files []string, by int64, at time.Time, notes []Notification) error

	// OpenCases returns every case whose status is not one of closed,
	// oldest first (the daily dispatch sheet).
	OpenCases(ctx context.Context, closed []string) ([]model.Case, error)
	// EventsBetween returns the timeline entries in [from, to), by time.
	EventsBetween(ctx context.Context, from, to time.Time) ([]model.Event, error)
}
