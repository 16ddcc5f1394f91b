package store

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// GeoStore keeps the county's geography beyond the org tree: the history
// of unit-grid geometry, routing rules with co-units and their history,
// components (部件), the address register (地址库) and where each case was
// placed. Every write bumps the geography generation (GeoGeneration), so
// nodes sharing the database know to rebuild their routing snapshot.
type GeoStore interface {
	// ApplyGridChanges writes an already validated grid import in one
	// transaction: new grids (a new org unit, or the retired one with the
	// same code, so org ids stay stable per code), changed grids (a new
	// version; the grid's org id does not change) and retired grids (the
	// current version closed, the grid leaves routing). It returns the org
	// ids of the created grids, in order.
	ApplyGridChanges(ctx context.Context, ch GridChanges) ([]int64, error)
	// GridVersions returns a grid's versions, oldest first. A grid loaded
	// before versions were kept has none until its first change.
	GridVersions(ctx context.Context, orgID int64) ([]GridVersion, error)

	// ListRules returns the routing rules with their co-units.
	ListRules(ctx context.Context) ([]Rule, error)
	// CreateRule inserts r (r.ID set); ErrConflict when the category and
	// area already have a rule.
	CreateRule(ctx context.Context, r *Rule, by int64) error
	// UpdateRule replaces the rule with r.ID; ErrNotFound, ErrConflict.
	UpdateRule(ctx context.Context, r Rule, by int64) error
	// DeleteRule removes a rule; its history stays. ErrNotFound.
	DeleteRule(ctx context.Context, id int64, at time.Time, by int64) error
	// RuleVersions returns a rule's history, oldest first.
	RuleVersions(ctx context.Context, id int64) ([]RuleVersion, error)

	// CreateCategory inserts c (c.ID set) and its first version, valid
	// from at; ErrConflict when its code is taken.
	CreateCategory(ctx context.Context, c *model.Category, at time.Time, by int64) error
	// UpdateCategory replaces the category with c.ID (its code, kind and
	// case type stay as they are), closing its current version;
	// ErrNotFound.
	UpdateCategory(ctx context.Context, c model.Category, at time.Time, by int64) error
	// CategoryVersions returns a category's history, oldest first; none
	// for a category never changed since the reference data was loaded.
	CategoryVersions(ctx context.Context, id int64) ([]CategoryVersion, error)

	// ListComponents returns every component ordered by code.
	ListComponents(ctx context.Context) ([]Component, error)
	// ApplyComponents inserts or updates components by code and removes
	// those listed, in one transaction.
	ApplyComponents(ctx context.Context, upsert []Component, remove []string) error

	// ListAddresses returns the address register ordered by id.
	ListAddresses(ctx context.Context) ([]Address, error)
	// ApplyAddresses inserts or updates addresses by text and removes those
	// listed (by id), in one transaction.
	ApplyAddresses(ctx context.Context, upsert []Address, remove []int64) error

	// PutCasePlace records how a case was placed (component, rule version,
	// tolerance); CasePlace reads it back (ErrNotFound when not recorded).
	PutCasePlace(ctx context.Context, p CasePlace) error
	CasePlace(ctx context.Context, caseID int64) (CasePlace, error)

	// GeoGeneration is a counter bumped by every write above;
	// BumpGeoGeneration bumps it for a change kept elsewhere (settings).
	GeoGeneration(ctx context.Context) (int64, error)
	BumpGeoGeneration(ctx context.Context) error
}

// GridChanges is one validated grid import.
type GridChanges struct {
	At     time.Time
	By     int64        // user id, 0 for the command line
	Source string       // file name or "api"
	Create []model.Grid // OrgID 0: a new org unit; else the retired grid's org unit, revived
	Update []model.Grid // OrgID set: a new version of a current grid
	Retire []int64      // org ids of current grids that leave routing
}

// GridVersion is one version of a grid's geometry and names, valid from
// ValidFrom until ValidTo (zero while current).
type GridVersion struct {
	OrgID       int64     `json:"id"`
	Version     int       `json:"version"`
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	CommunityID int64     `json:"community_id"`
	StreetID    int64     `json:"street_id"`
	Geometry    string    `json:"geometry"`
	AreaM2      float64   `json:"area_m2"`
	Change      string    `json:"change"` // initial, created, updated, revived
	Source      string    `json:"source,omitempty"`
	ValidFrom   time.Time `json:"valid_from,omitzero"` // zero: since before versions were kept
	ValidTo     time.Time `json:"valid_to,omitzero"`
	ChangedBy   int64     `json:"changed_by,omitempty"`
}

// Rule is a routing rule (category × area → lead unit) with its co-units
// (协办单位) and a note.
type Rule struct {
	model.RoutingRule
	CoUnitIDs []int64   `json:"co_unit_ids"`
	Note      string    `json:"note,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// CategoryVersion is one state of a category, valid from ValidFrom until
// ValidTo (zero while current).
type CategoryVersion struct {
	model.Category
	Version   int       `json:"version"`
	ValidFrom time.Time `json:"valid_from,omitzero"`
	ValidTo   time.Time `json:"valid_to,omitzero"`
	ChangedBy int64     `json:"changed_by,omitempty"`
}

// RuleVersion is one state of a rule, valid from ValidFrom until ValidTo
// (zero while current). Deleted marks the version ended by a deletion.
type RuleVersion struct {
	Rule
	Version   int       `json:"version"`
	ValidFrom time.Time `json:"valid_from,omitzero"`
	ValidTo   time.Time `json:"valid_to,omitzero"`
	Deleted   bool      `json:"deleted,omitempty"`
	ChangedBy int64     `json:"changed_by,omitempty"`
}

// Component is a fixed object (部件) with a 16-digit code: 6-digit admin
// code, 2-digit major class, 2-digit minor class, 6-digit serial.
type Component struct {
	ID               int64     `json:"id"`
	Code             string    `json:"code"`
	CategoryID       int64     `json:"category_id"`
	Name             string    `json:"name,omitempty"`
	OwnerUnitID      int64     `json:"owner_unit_id,omitempty"`
	OwnerName        string    `json:"owner_name,omitempty"` // when the owner is not an org unit
	MaintainerUnitID int64     `json:"maintainer_unit_id,omitempty"`
	MaintainerName   string    `json:"maintainer_name,omitempty"`
	Lat              float64   `json:"lat"` // WGS-84
	Lng              float64   `json:"lng"`
	Address          string    `json:"address,omitempty"`
	Status           string    `json:"status,omitempty"` // free text from the survey, e.g. 完好
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// Address is one entry of the address register (地址库).
type Address struct {
	ID          int64   `json:"id"`
	Text        string  `json:"address"`         // full address as shown
	Alias       string  `json:"alias,omitempty"` // a place name (小区, 学校) also searched
	Lat         float64 `json:"lat"`             // WGS-84
	Lng         float64 `json:"lng"`
	StreetID    int64   `json:"street_id,omitempty"`
	CommunityID int64   `json:"community_id,omitempty"`
	GridID      int64   `json:"grid_id,omitempty"`
}

// CasePlace is how a case was placed when it was created.
type CasePlace struct {
	CaseID        int64   `json:"case_id"`
	GridVersion   int     `json:"grid_version,omitempty"`
	RuleID        int64   `json:"rule_id,omitempty"`
	RuleVersion   int     `json:"rule_version,omitempty"`
	CoUnitIDs     []int64 `json:"co_unit_ids,omitempty"`
	ComponentCode string  `json:"component_code,omitempty"`
	ComponentM    float64 `json:"component_m,omitempty"`
	Fallback      bool    `json:"fallback"`
	Exact         bool    `json:"exact"`
}
