package store

import (
	"context"
	"errors"
	"time"

	"github.com/yiwang-gov/yiwang/internal/stats"
)

// StatsDirty is a case whose statistics fact is behind: the database marks
// a case when it is inserted or updated to a version its fact does not
// have yet (a trigger, in the same transaction as the write).
type StatsDirty struct {
	CaseID  int64
	Version int
}

// StatsFilter narrows the cases statistics count. Zero fields do not
// filter. Area filters by territory: AreaKind says which column
// (street, community or grid; "" or district for everything).
type StatsFilter struct {
	StreetID    int64
	CommunityID int64
	GridID      int64
	UnitID      int64
	Types       []string // only these types (nil: all)
	HideTypes   []string // never these types
	CategoryIDs []int64  // one of these categories (a category and its children)
	Channel     string
}

// StatsGroup is what a grouped statistics query splits the counts by.
type StatsGroup string

// Groups. GroupUser attributes each axis to the person who did its step:
// reported (received), registered, dispatched, handled, and closed (settle
// and closed axes).
const (
	GroupNone      StatsGroup = ""
	GroupType      StatsGroup = "type"
	GroupStreet    StatsGroup = "street"
	GroupCommunity StatsGroup = "community"
	GroupGrid      StatsGroup = "grid"
	GroupUnit      StatsGroup = "unit"
	GroupCategory  StatsGroup = "category"
	GroupChannel   StatsGroup = "channel"
	GroupSubtype   StatsGroup = "subtype"
	GroupUser      StatsGroup = "user"
	GroupMonth     StatsGroup = "month" // CST month of each axis time: key year*12+month-1
	GroupDay       StatsGroup = "day"   // CST day number of each axis time
)

// StatsEngine chooses how counts are computed: from the per-case facts
// through their indexes, or from the daily and monthly aggregates (whole
// days and months) plus the facts (partial edge days). Auto picks the
// aggregates whenever the filter and grouping allow.
type StatsEngine string

const (
	EngineAuto       StatsEngine = ""
	EngineFacts      StatsEngine = "facts"
	EngineAggregates StatsEngine = "aggregates"
)

// ErrNotAggregatable is returned when the aggregates engine is asked a
// question only the facts can answer (a community, grid, category or
// channel; a grouping other than type, street, unit, day or month).
var ErrNotAggregatable = errors.New("store: the aggregates cannot answer this filter or grouping")

// StatsQuery is one counting question.
type StatsQuery struct {
	Range  stats.Range
	Filter StatsFilter
	Group  StatsGroup
	Engine StatsEngine
}

// StatsRow is the counts of one group (Key is the group's id; for
// string-valued groups such as type and channel, Name holds the value).
type StatsRow struct {
	Key    int64
	Name   string
	Counts stats.Counts
}

// HotSpot is a grid and category with several reports in a range.
type HotSpot struct {
	GridID     int64
	StreetID   int64
	CategoryID int64
	Reports    int64 // cases received
	Merged     int64 // of them merged as duplicates
}

// CategoryDay counts the reports of one category in one street received
// on one CST day, and how many of them are still open.
type CategoryDay struct {
	StreetID   int64
	CategoryID int64
	Day        int64
	Reports    int64
	Unclosed   int64
}

// ProjectProgress sums the livelihood projects (民生实事) created before a
// time: how many, by status, their investment and progress.
type ProjectProgress struct {
	Projects      int64
	Closed        int64
	Active        int64
	PercentSum    int64 // sum of percent complete over active and closed projects
	Investment    int64 // fen
	FundsSpent    int64 // fen
	Beneficiaries int64
}

// LedgerLink ties a ledger row number (台账编号) to the case it created.
type LedgerLink struct {
	Kind       string // rectification, clue
	LedgerNo   string
	CaseID     int64
	ImportedBy int64
	ImportedAt time.Time
}

// StatsStore keeps the statistics facts and aggregates and answers counting
// queries over them.
type StatsStore interface {
	// StatsDirtyCases returns up to limit cases whose facts are behind.
	StatsDirtyCases(ctx context.Context, limit int) ([]StatsDirty, int, error)
	// StatsLoad reads cases and their timelines for deriving facts.
	StatsLoad(ctx context.Context, ids []int64) ([]CaseWithTimeline, error)
	// StatsApply stores facts (replacing each case's previous one), moves
	// the aggregates by the difference, and clears the given dirty marks
	// that still carry the version the facts were derived from — all in one
	// transaction.
	StatsApply(ctx context.Context, facts []stats.Fact, done []StatsDirty) error
	// StatsMarkAll marks every case dirty (after the derivation rules or
	// limits changed), so the next refresh recomputes every fact.
	StatsMarkAll(ctx context.Context) error
	// StatsCounts answers a counting query, one row per group (a single
	// row with Key 0 when not grouped).
	StatsCounts(ctx context.Context, q StatsQuery) ([]StatsRow, error)
	// StatsFacts lists facts matching the filter whose time on axis falls
	// in the range (for drill-down lists and exports), by case id, at most
	// limit rows after afterID.
	StatsFacts(ctx context.Context, axis stats.Axis, r stats.Range, f StatsFilter, afterID int64, limit int) ([]stats.Fact, error)
	// StatsHotSpots returns (grid, category) pairs with at least min
	// reports received in the range, most reports first.
	StatsHotSpots(ctx context.Context, r stats.Range, f StatsFilter, min int64, limit int) ([]HotSpot, error)
	// StatsCategoryDays counts reports by street, category and CST day of
	// receipt (cases with a street and a category only).
	StatsCategoryDays(ctx context.Context, r stats.Range, f StatsFilter) ([]CategoryDay, error)
	// StatsProjects sums the projects created before t.
	StatsProjects(ctx context.Context, before time.Time, f StatsFilter) (ProjectProgress, error)

	// LedgerLinks returns the links of the given ledger numbers of a kind.
	LedgerLinks(ctx context.Context, kind string, numbers []string) (map[string]LedgerLink, error)
	// AddLedgerLinks records links; a number already linked is ErrConflict
	// and nothing is written.
	AddLedgerLinks(ctx context.Context, links []LedgerLink) error
	// LedgerNumbers returns the ledger numbers of the given cases.
	LedgerNumbers(ctx context.Context, kind string, caseIDs []int64) (map[int64]string, error)
	// ImportLedger inserts whole cases with their timelines and links
	// links[i] to cases[i], all in one transaction: a number linked
	// meanwhile is ErrConflict and nothing is written. Case ids are set.
	ImportLedger(ctx context.Context, cases []CaseWithTimeline, links []LedgerLink) error
	// StatsBulkImport inserts whole historical cases with their timelines,
	// facts and aggregates in one transaction, many rows per statement (the
	// demo generator's fast path). Ids are assigned in order; derive gives
	// each case's fact once its id is set.
	StatsBulkImport(ctx context.Context, cases []CaseWithTimeline, derive func(*CaseWithTimeline) stats.Fact) error
}
