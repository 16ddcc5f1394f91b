package store

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// ServiceMeta is a category's Open311 service metadata. All fields are
// optional; Metadata nil means "true when the category has attributes".
type ServiceMeta struct {
	CategoryID  int64
	Description string
	Keywords    string
	Type        string // realtime (default), batch, blackbox
	Metadata    *bool
}

// AttributeValue is one option of a list attribute.
type AttributeValue struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// ServiceAttribute is one extra field of a category: an Open311 service
// definition attribute.
type ServiceAttribute struct {
	CategoryID          int64
	Code                string
	Datatype            string // string, number, datetime, text, singlevaluelist, multivaluelist
	Required            bool
	Variable            bool // false: information shown to the user only
	DatatypeDescription string
	Description         string
	Order               int
	Values              []AttributeValue
}

// Open311Request is what an Open311 POST carried besides the case.
type Open311Request struct {
	CaseID       int64
	Token        string
	APIKeyID     int64
	Jurisdiction string
	Email        string
	DeviceID     string
	AccountID    string
	AddressID    string
	MediaURL     string
	Media        []string            // attachment ids of uploaded media
	Attributes   map[string][]string // attribute code → values
	CreatedAt    time.Time
}

// Open311Update is an update pushed by a citizen front end
// (FixMyStreet's POST servicerequestupdates).
type Open311Update struct {
	ID          int64
	CaseID      int64
	APIKeyID    int64
	ExternalID  string // the sender's own update id, unique per key
	Status      string
	Description string
	Name        string
	Email       string
	MediaURL    string
	UpdatedAt   time.Time // as the sender says
	CreatedAt   time.Time
}

// Open311Filter selects cases for Open311 GET requests. Only cases whose
// category is public and whose type is in Types are ever returned. Zero
// fields do not filter; times are half-open [From, To).
type Open311Filter struct {
	Types []string
	// Published, when not nil, narrows further to the cases whose state
	// is one of their type's listed states: what anonymous readers may
	// see (cases staff accepted). A type missing from it shows nothing.
	Published     map[string][]model.State
	IDs           []int64
	CategoryIDs   []int64
	Statuses      []model.State
	From, To      time.Time // requested (created) time
	UpdatedAfter  time.Time // updated_at > UpdatedAfter
	UpdatedBefore time.Time // updated_at < UpdatedBefore
	StreetID      int64
	Limit, Offset int
}

// EventFilter selects timeline entries (after the first) of public cases
// for Open311 servicerequestupdates.
type EventFilter struct {
	Types []string
	// Published narrows to the cases in the listed states, as in
	// Open311Filter.
	Published     map[string][]model.State
	From, To      time.Time
	StreetID      int64
	Limit, Offset int
}

// Open311Store keeps the Open311 extras and answers Open311's queries.
type Open311Store interface {
	ServiceMetas(ctx context.Context) ([]ServiceMeta, error)
	// ServiceAttributes returns every category's attributes, by category
	// then order.
	ServiceAttributes(ctx context.Context) ([]ServiceAttribute, error)
	// PutServiceAttributes replaces a category's attributes and metadata.
	PutServiceAttributes(ctx context.Context, meta ServiceMeta, attrs []ServiceAttribute) error
	// ImportServices inserts categories (IDs assigned by the store; a
	// category's ParentID may name an index into cats as -(index+1)) with
	// their metadata and attributes, in one transaction.
	ImportServices(ctx context.Context, cats []model.Category, metas []ServiceMeta, attrs [][]ServiceAttribute) ([]int64, error)

	SaveOpen311Request(ctx context.Context, r Open311Request) error
	// Open311Requests returns the extras of the given cases that have them.
	Open311Requests(ctx context.Context, caseIDs []int64) (map[int64]Open311Request, error)
	// CaseIDByOpen311Token finds the case an Open311 token stands for.
	CaseIDByOpen311Token(ctx context.Context, token string) (int64, error)
	// ListOpen311Cases returns one page of matching cases, newest first,
	// and how many match in all.
	ListOpen311Cases(ctx context.Context, f Open311Filter) ([]model.Case, int, error)
	// ListOpen311Events returns one page of timeline entries (not the
	// first of each case) of matching cases, oldest first, and the total.
	ListOpen311Events(ctx context.Context, f EventFilter) ([]model.Event, int, error)
	// Timelines returns the timelines of several cases at once.
	Timelines(ctx context.Context, caseIDs []int64) (map[int64][]model.Event, error)

	// AddOpen311Update stores u and sets u.ID. When the key already sent an
	// update with the same ExternalID, it sets u.ID to that one's and
	// returns ErrConflict.
	AddOpen311Update(ctx context.Context, u *Open311Update) error
	Open311Updates(ctx context.Context, caseID int64) ([]Open311Update, error)
}
