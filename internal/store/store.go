// Package store defines what yiwang keeps and how the rest of the code asks
// for it. Implementations live in sub-packages (sqlstore, for SQLite and
// PostgreSQL); the suite in storetest runs against every one of them.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

var (
	// ErrNotFound is returned when the asked-for row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a case changed since the caller read it
	// (optimistic version check) or a unique key is taken.
	ErrConflict = errors.New("store: conflict")
)

// Store is everything yiwang persists. Each method that writes does so in one
// transaction: a case and its first timeline entry, an action's update and
// its entry, are committed together or not at all.
type Store interface {
	// Feature stores: each feature's methods are declared in its own file
	// of this package and embedded here.
	InteropStore
	OutboxStore
	StatsStore
	AuditStore
	EngineStore
	GeoStore
	IntakeStore

	Close() error
	// Dialect names the backing database ("sqlite", "postgres").
	Dialect() string
	// Ping checks the database answers and its schema is current.
	Ping(ctx context.Context) error
	// Exclusive runs fn while holding a lock named name that every node
	// sharing the database respects (one-time set-up such as the demo load).
	Exclusive(ctx context.Context, name string, fn func(context.Context) error) error

	// Reference data, loaded together in one transaction (demo, imports).
	LoadReference(ctx context.Context, ref Reference) error
	Empty(ctx context.Context) (bool, error)

	ListOrgUnits(ctx context.Context) ([]model.OrgUnit, error)
	ListGrids(ctx context.Context) ([]model.Grid, error)
	ListCategories(ctx context.Context) ([]model.Category, error)
	ListRoutingRules(ctx context.Context) ([]model.RoutingRule, error)

	CreateUser(ctx context.Context, u *model.User) error
	UserByID(ctx context.Context, id int64) (model.User, error)
	UserByUsername(ctx context.Context, username string) (model.User, error)
	ListUsers(ctx context.Context) ([]model.User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	// SetUserDisabled disables or enables an account; ErrNotFound if none.
	SetUserDisabled(ctx context.Context, userID int64, disabled bool) error
	// SetUserOrg moves an account to another org unit (a staff move);
	// ErrNotFound if none. The caller checks the org fits the role.
	SetUserOrg(ctx context.Context, userID, orgID int64) error
	// SetTOTP stores a second-factor secret; UseTOTPStep spends a code's
	// time step once (false when already used).
	SetTOTP(ctx context.Context, userID int64, secret string) error
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)

	CreateSession(ctx context.Context, s model.Session) error
	SessionByHash(ctx context.Context, hash string, now time.Time) (model.Session, error)
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions ends every session of an account and says how many.
	DeleteUserSessions(ctx context.Context, userID int64) (int64, error)

	// CreateCase inserts c with its first event. c.ID and ev.ID are set.
	// When idemKey is not empty and a case with that key exists, it returns
	// that case's ID with ErrConflict and writes nothing.
	CreateCase(ctx context.Context, c *model.Case, ev *model.Event, idemKey string) error
	// CaseIDByIdempotencyKey finds the case created with key.
	CaseIDByIdempotencyKey(ctx context.Context, key string) (int64, error)
	// UpdateCase stores c and appends ev if the stored version is still
	// expectVersion; otherwise ErrConflict. c.Version must be expectVersion+1.
	UpdateCase(ctx context.Context, c *model.Case, expectVersion int, ev *model.Event) error
	Case(ctx context.Context, id int64) (model.Case, error)
	CaseByReceipt(ctx context.Context, receipt string) (model.Case, error)
	ListCases(ctx context.Context, f model.CaseFilter) ([]model.Case, error)
	CountCases(ctx context.Context, f model.CaseFilter) (int, error)
	Timeline(ctx context.Context, caseID int64) ([]model.Event, error)
	// ImportCases inserts whole historical cases with their timelines in
	// one transaction (demo data, migrations).
	ImportCases(ctx context.Context, cases []CaseWithTimeline) error

	PutAttachment(ctx context.Context, a model.Attachment) error
	Attachment(ctx context.Context, id string) (model.Attachment, error)
	CaseAttachments(ctx context.Context, caseID int64) ([]string, error)
	// AttachmentCases lists the cases whose timeline events link
	// attachment id: whoever may see one of them may read the file.
	AttachmentCases(ctx context.Context, id string) ([]int64, error)
	// AttachmentUploadedBy reports whether user uploaded attachment id
	// (the same bytes may be sent by several accounts).
	AttachmentUploadedBy(ctx context.Context, id string, user int64) (bool, error)
	// AttachmentSupervisions lists the supervision documents whose reply
	// cites attachment id.
	AttachmentSupervisions(ctx context.Context, id string) ([]int64, error)

	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error

	// HitRate counts one request against a rate-limit bucket in the
	// minute starting at window and returns that minute's count so far,
	// atomically across nodes; PruneRates drops minutes before before.
	HitRate(ctx context.Context, bucket string, window time.Time) (int, error)
	PruneRates(ctx context.Context, before time.Time) (int64, error)

	// UpdateLoginCounts reads the login-throttle counts of keys (a key
	// never counted reads as the zero LoginCount), holding them locked
	// against every node until it returns, hands them to fn in the order
	// of keys, and writes what fn returns (one count per key, in the same
	// order; nil writes nothing). A check and its count are then one step
	// across nodes: two attempts at once cannot both read the count before
	// either adds to it. fn runs once; it must not call the store.
	UpdateLoginCounts(ctx context.Context, keys []string, fn func(cur []LoginCount) []LoginCount) error
	// ForgetLoginCounts deletes every count whose key begins with prefix.
	ForgetLoginCounts(ctx context.Context, prefix string) (int64, error)
	// PruneLoginCounts deletes the counts whose key begins with prefix
	// that have leaked to zero by now (one per leak) and whose last
	// failure is at least hold old (their longest wait is over).
	PruneLoginCounts(ctx context.Context, prefix string, leak, hold time.Duration, now time.Time) (int64, error)
}

// LoginCount is one login-throttle count (service/loginthrottle.go): the
// level just after the last failure and when that was.
type LoginCount struct {
	Level float64
	At    time.Time
}

// Reference is the county's reference data: org tree, grids, categories,
// routing rules. IDs are given by the caller.
type Reference struct {
	Org        []model.OrgUnit
	Grids      []model.Grid
	Categories []model.Category
	Rules      []model.RoutingRule
}

// CaseWithTimeline is a case and its events, for bulk import.
type CaseWithTimeline struct {
	Case   model.Case
	Events []model.Event
	// Timers are the deadline timers the case should have now (its
	// running clocks'); ImportCases writes them with the case, so an
	// imported open case turns yellow and red like any other.
	Timers []TimerSpec
}
