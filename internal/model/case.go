package model

import "time"

// State is where a case stands in its workflow.
type State string

// States of the default closed loop (数字城管 / 12345).
const (
	StateReported             State = "reported"              // 上报/待受理
	StateRegistered           State = "registered"            // 已立案/待派遣
	StateDispatched           State = "dispatched"            // 已派遣/待签收
	StateHandling             State = "handling"              // 处置中
	StateAwaitingVerification State = "awaiting_verification" // 待核查
	StateClosed               State = "closed"                // 已结案
	StateRejected             State = "rejected"              // 不予受理
	StateParked               State = "parked"                // 挂账
	StateMerged               State = "merged"                // 已合并
)

// Channel is where a case came from.
type Channel string

const (
	ChannelApp        Channel = "app"        // 随手拍
	ChannelHotline    Channel = "hotline"    // 12345
	ChannelPatrol     Channel = "patrol"     // 网格员巡查
	ChannelVideo      Channel = "video"      // 视频/物联感知
	ChannelInspection Channel = "inspection" // 查房/检查
	ChannelSupervisor Channel = "supervision"
	ChannelWeb        Channel = "web"
	ChannelOpen311    Channel = "open311"
)

// Channels lists the channels a case may be created with.
var Channels = []Channel{ChannelApp, ChannelHotline, ChannelPatrol, ChannelVideo, ChannelInspection, ChannelSupervisor, ChannelWeb, ChannelOpen311}

// ValidChannel reports whether c is known.
func ValidChannel(c Channel) bool {
	for _, x := range Channels {
		if x == c {
			return true
		}
	}
	return false
}

// Reporter is who reported a case. It is personal data: masked by role on
// every read and never shown to the unit a report concerns.
type Reporter struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Case is one problem taken in by the county, of any case type.
type Case struct {
	ID           int64     `json:"id"`
	Receipt      string    `json:"receipt"` // code the citizen tracks the case by
	Type         string    `json:"type"`
	DefVersion   int       `json:"def_version"` // workflow definition version the case started with
	Channel      Channel   `json:"channel"`
	CategoryID   int64     `json:"category_id"`
	Description  string    `json:"description"`
	Lat          float64   `json:"lat"` // WGS-84
	Lng          float64   `json:"lng"`
	Address      string    `json:"address"`
	GridID       int64     `json:"grid_id,omitempty"`
	CommunityID  int64     `json:"community_id,omitempty"`
	StreetID     int64     `json:"street_id,omitempty"`
	UnitID       int64     `json:"unit_id,omitempty"` // responsible (routed or dispatched) unit
	Routing      string    `json:"routing,omitempty"` // how the unit was chosen, e.g. "rule:12", "category", "territorial"
	Reporter     Reporter  `json:"reporter"`
	Anonymous    bool      `json:"anonymous"`
	Status       State     `json:"status"`
	Version      int       `json:"version"`
	MasterID     int64     `json:"master_id,omitempty"` // set when merged into another case
	DueAt        time.Time `json:"due_at,omitzero"`     // handling deadline, set at dispatch
	Satisfaction string    `json:"satisfaction,omitempty"`
	// Fields are the case type's own fields, validated by its definition.
	// Numbers are json.Number so money stays exact.
	Fields    map[string]any `json:"fields,omitempty"`
	OwnerID   int64          `json:"owner_id,omitempty"` // leader who owns the case (包案)
	Alert     Alert          `json:"alert,omitempty"`    // yellow/red from the deadline timers
	Flow      Flow           `json:"flow,omitzero"`      // engine bookkeeping for the type's rules
	CreatedBy int64          `json:"created_by,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	ClosedAt  time.Time      `json:"closed_at,omitzero"`
}

// Event is one entry of a case's append-only timeline.
type Event struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	Seq         int       `json:"seq"` // 1-based, equals the case version after the event
	At          time.Time `json:"at"`
	ActorID     int64     `json:"actor_id,omitempty"`
	ActorName   string    `json:"actor_name"`
	Role        Role      `json:"role"`
	Action      string    `json:"action"`
	FromState   State     `json:"from_state,omitempty"`
	ToState     State     `json:"to_state"`
	Note        string    `json:"note,omitempty"`
	UnitID      int64     `json:"unit_id,omitempty"` // the unit acted on (dispatch target)
	Result      string    `json:"result,omitempty"`  // verify pass/fail, follow-up satisfaction
	Attachments []string  `json:"attachments,omitempty"`
	// Data holds the rest of the action's input (fields set, days, owner,
	// master) so that the timeline can be replayed.
	Data map[string]any `json:"data,omitempty"`
}

// Alert is how close a case is to its deadline.
type Alert string

const (
	AlertNone   Alert = ""
	AlertYellow Alert = "yellow" // a running clock passed its warning share (80 %)
	AlertRed    Alert = "red"    // a running clock passed its due time
)

// Flow is what a case's rules need to remember between actions: when it
// was dispatched (退单 within 2 working days), its extension, its clocks.
type Flow struct {
	OriginUnit   int64                 `json:"origin_unit,omitempty"` // unit the case started with (a declined referral goes back)
	DispatchedAt time.Time             `json:"dispatched_at,omitzero"`
	Extension    *Extension            `json:"extension,omitempty"`
	Clocks       map[string]ClockState `json:"clocks,omitempty"`
}

// IsZero lets omitzero drop an empty flow.
func (f Flow) IsZero() bool {
	return f.OriginUnit == 0 && f.DispatchedAt.IsZero() && f.Extension == nil && len(f.Clocks) == 0
}

// Extension is a case's one extension (延期): requested, then approved or denied.
type Extension struct {
	Days        int       `json:"days"`
	Status      string    `json:"status"` // requested, approved, denied
	Clock       string    `json:"clock"`
	RequestedAt time.Time `json:"requested_at"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// ClockState is a started clock: when it started, its warning and due times.
// Whether it runs depends on the case's state (the definition says where).
type ClockState struct {
	Start time.Time `json:"start"`
	Warn  time.Time `json:"warn,omitzero"`
	Due   time.Time `json:"due,omitzero"`
}

// Attachment is a stored file (photo, evidence). The bytes live on disk
// under their SHA-256; the row keeps the metadata.
type Attachment struct {
	ID        string    `json:"id"` // sha256 hex of the content
	Mime      string    `json:"mime"`
	Size      int64     `json:"size"`
	Name      string    `json:"name"`
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CaseFilter selects cases for a list. Zero fields do not filter.
type CaseFilter struct {
	Status   []State
	UnitID   int64
	StreetID int64
	GridID   int64
	Type     string
	// HideTypes leaves out case types the viewer may not see (discipline clues).
	HideTypes []string
	OwnerID   int64
	AfterID   int64 // keyset: cases with id < AfterID (newest first)
	Limit     int
}
