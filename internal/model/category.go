package model

// CategoryKind separates components (部件, fixed objects), events (事件) and
// the rectification domains of the county's campaigns (整治领域).
type CategoryKind string

const (
	CategoryComponent CategoryKind = "component"
	CategoryEvent     CategoryKind = "event"
	CategoryDomain    CategoryKind = "domain"
)

// DeadlineKind is how a category's handling deadline is counted.
type DeadlineKind string

const (
	DeadlineNaturalDays  DeadlineKind = "natural_days"
	DeadlineWorkingDays  DeadlineKind = "working_days"
	DeadlineWorkingHours DeadlineKind = "working_hours"
	DeadlineUrgentHours  DeadlineKind = "urgent_hours" // clock hours, day and night
)

// DeadlineRule is a category's default deadline, e.g. 7 working days.
type DeadlineRule struct {
	Kind   DeadlineKind `json:"kind"`
	Amount int          `json:"amount"`
}

// Category is a node of the category tree. Leaves are what cases are filed
// under. DefaultUnitID 0 means 属地: the street or township of the case's place.
type Category struct {
	ID            int64        `json:"id"`
	ParentID      int64        `json:"parent_id,omitempty"`
	Code          string       `json:"code"`
	Kind          CategoryKind `json:"kind"`
	Name          string       `json:"name"`
	NameEn        string       `json:"name_en,omitempty"`
	CaseType      string       `json:"case_type"`
	DefaultUnitID int64        `json:"default_unit_id,omitempty"`
	Deadline      DeadlineRule `json:"deadline"`
	Public        bool         `json:"public"`
}

// RoutingRule sends cases of a category inside an area (street, community or
// the district) to a unit. The most specific area wins over the category's
// default unit.
type RoutingRule struct {
	ID         int64 `json:"id"`
	CategoryID int64 `json:"category_id"`
	AreaID     int64 `json:"area_id"`
	UnitID     int64 `json:"unit_id"`
}
