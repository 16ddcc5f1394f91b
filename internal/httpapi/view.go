package httpapi

import (
	"slices"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// caseView is a case as the API shows it to one viewer: names resolved,
// reporter masked for the viewer's role, and the actions the viewer may take.
type caseView struct {
	ID           int64            `json:"id"`
	Receipt      string           `json:"receipt,omitempty"`
	Type         string           `json:"type"`
	Status       model.State      `json:"status"`
	StatusLabel  string           `json:"status_label"`
	Version      int              `json:"version"`
	Channel      model.Channel    `json:"channel"`
	Category     map[string]any   `json:"category"`
	Description  string           `json:"description"`
	Lat          float64          `json:"lat"`
	Lng          float64          `json:"lng"`
	Address      string           `json:"address"`
	Grid         any              `json:"grid"`
	Community    string           `json:"community"`
	CommunityID  int64            `json:"community_id,omitempty"`
	Street       string           `json:"street"`
	StreetID     int64            `json:"street_id,omitempty"`
	Unit         any              `json:"unit"`
	Routing      string           `json:"routing,omitempty"`
	Reporter     *model.Reporter  `json:"reporter,omitempty"`
	Anonymous    bool             `json:"anonymous"`
	MasterID     int64            `json:"master_id,omitempty"`
	DueAt        *time.Time       `json:"due_at,omitempty"`
	Satisfaction string           `json:"satisfaction,omitempty"`
	TypeName     string           `json:"type_name,omitempty"`
	DefVersion   int              `json:"def_version,omitempty"`
	Fields       map[string]any   `json:"fields,omitempty"`
	OwnerID      int64            `json:"owner_id,omitempty"` // 包案领导
	Alert        model.Alert      `json:"alert,omitempty"`    // yellow / red
	Clocks       []clockView      `json:"clocks,omitempty"`
	Extension    *model.Extension `json:"extension,omitempty"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	ClosedAt     *time.Time       `json:"closed_at,omitempty"`
	Timeline     []eventView      `json:"timeline,omitempty"`
	Actions      []string         `json:"actions,omitempty"`
}

type eventView struct {
	Seq         int            `json:"seq"`
	At          time.Time      `json:"at"`
	Actor       string         `json:"actor"`
	Role        model.Role     `json:"role"`
	Action      string         `json:"action"`
	FromState   model.State    `json:"from_state,omitempty"`
	ToState     model.State    `json:"to_state"`
	Note        string         `json:"note,omitempty"`
	Unit        any            `json:"unit,omitempty"`
	Result      string         `json:"result,omitempty"`
	Attachments []string       `json:"attachments,omitempty"`
	Data        map[string]any `json:"data,omitempty"`
}

// clockView is one started deadline clock of a case.
type clockView struct {
	Name    string     `json:"name"`
	Label   string     `json:"label"`
	Start   time.Time  `json:"start"`
	Warn    *time.Time `json:"warn_at,omitempty"`
	Due     *time.Time `json:"due_at,omitempty"`
	Running bool       `json:"running"`
}

// local puts t in China Standard Time: the API writes every time with
// +08:00, as the people reading it live.
func local(t time.Time) time.Time { return t.In(calendar.Beijing()) }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = local(t)
	return &t
}

func (a *API) caseView(viewer model.User, c model.Case, tl []model.Event) caseView {
	ref := a.svc.Ref()
	cat := ref.Categories[c.CategoryID]
	v := caseView{
		ID: c.ID, Receipt: c.Receipt, Type: c.Type, Status: c.Status, Version: c.Version, Channel: c.Channel,
		Category:    map[string]any{"id": cat.ID, "code": cat.Code, "name": cat.Name, "name_en": cat.NameEn},
		Description: c.Description, Lat: c.Lat, Lng: c.Lng, Address: c.Address,
		Community: ref.OrgName(c.CommunityID), CommunityID: c.CommunityID, Street: ref.OrgName(c.StreetID), StreetID: c.StreetID,
		Unit: orgRef(ref.Org[c.UnitID]), Routing: c.Routing, Anonymous: c.Anonymous, MasterID: c.MasterID,
		DueAt: timePtr(c.DueAt), Satisfaction: c.Satisfaction, CreatedAt: local(c.CreatedAt), UpdatedAt: local(c.UpdatedAt), ClosedAt: timePtr(c.ClosedAt),
	}
	if g, ok := ref.Grids[c.GridID]; ok {
		v.Grid = map[string]any{"id": g.OrgID, "code": g.Code.String(), "name": g.Name}
	}
	if rep := service.MaskReporter(viewer, c); rep != (model.Reporter{}) {
		v.Reporter = &rep
	}
	if def, ok := a.svc.Workflows().Get(c.Type, c.DefVersion); ok {
		if st, ok := def.State(string(c.Status)); ok {
			v.StatusLabel = st.Label
		}
		v.TypeName, v.DefVersion, v.Fields, v.OwnerID, v.Alert, v.Extension = def.Name, c.DefVersion, c.Fields, c.OwnerID, c.Alert, c.Flow.Extension
		for _, cl := range def.Clocks {
			if st, ok := c.Flow.Clocks[cl.Name]; ok {
				v.Clocks = append(v.Clocks, clockView{Name: cl.Name, Label: cl.Label, Start: st.Start, Warn: timePtr(st.Warn), Due: timePtr(st.Due),
					Running: slices.Contains(cl.States, string(c.Status))})
			}
		}
		if viewer.ID != 0 {
			for _, act := range def.Available(c.Status, viewer.Role) {
				v.Actions = append(v.Actions, act.Name)
			}
		}
	}
	for _, ev := range tl {
		v.Timeline = append(v.Timeline, eventView{Seq: ev.Seq, At: local(ev.At), Actor: ev.ActorName, Role: ev.Role, Action: ev.Action,
			FromState: ev.FromState, ToState: ev.ToState, Note: ev.Note, Unit: orgRef(ref.Org[ev.UnitID]), Result: ev.Result, Attachments: ev.Attachments, Data: ev.Data})
	}
	return v
}
