package service

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// InputFromEvent rebuilds the input an action was taken with from its
// timeline entry (version aside).
func InputFromEvent(ev model.Event) ActionInput {
	in := ActionInput{Note: ev.Note, UnitID: ev.UnitID, Result: ev.Result, Evidence: ev.Attachments}
	in.MasterID = dataInt(ev.Data["master"])
	in.Days = int(dataInt(ev.Data["days"]))
	in.OwnerID = dataInt(ev.Data["owner"])
	if f, ok := ev.Data["fields"].(map[string]any); ok {
		in.Fields = f
	}
	return in
}

func dataInt(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		i, _ := strconv.ParseInt(string(n), 10, 64)
		return i
	case float64:
		return int64(n)
	case int:
		return int64(n)
	case int64:
		return n
	}
	return 0
}

// Replay rebuilds a case from its timeline: the case as created (from the
// stored case's fixed parts and the create entry), then every action
// applied again through Apply with its recorded actor, time and input.
// user resolves an actor's account (its org, for units' scope). Notes the
// engine appended to an entry (a deadline it could not compute) make the
// replayed note differ; everything else must come out the same.
func (s *Service) Replay(c model.Case, tl []model.Event, user func(id int64) model.User) (model.Case, error) {
	if len(tl) == 0 || tl[0].Action != "create" {
		return c, fmt.Errorf("timeline of case %d does not start with its creation", c.ID)
	}
	def, ok := s.workflows.Get(c.Type, c.DefVersion)
	if !ok {
		return c, fmt.Errorf("workflow definition %s v%d missing", c.Type, c.DefVersion)
	}
	first := tl[0]
	g := model.Case{
		ID: c.ID, Receipt: c.Receipt, Type: c.Type, DefVersion: c.DefVersion, Channel: c.Channel, CategoryID: c.CategoryID,
		Description: c.Description, Lat: c.Lat, Lng: c.Lng, Address: c.Address, GridID: c.GridID, CommunityID: c.CommunityID,
		StreetID: c.StreetID, UnitID: first.UnitID, Reporter: c.Reporter, Anonymous: c.Anonymous,
		Status: first.ToState, Version: 1, CreatedBy: c.CreatedBy, CreatedAt: first.At, UpdatedAt: first.At,
		Flow: model.Flow{OriginUnit: first.UnitID},
	}
	if f, ok := first.Data["fields"].(map[string]any); ok {
		g.Fields = f
	}
	var scratch model.Event
	s.startClocks(def, "create", &g, &scratch, first.At)
	look := Lookups{
		MasterOK:     func(int64) bool { return true },
		AttachmentOK: func(string) bool { return true },
		UserOK:       func(id int64) (model.User, bool) { u := user(id); return u, u.ID != 0 },
	}
	for _, ev := range tl[1:] {
		if ev.Action == ActionMachineRepeat { // a note on a folded repeat: no transition
			g.Version, g.UpdatedAt = ev.Seq, ev.At
			continue
		}
		actor := user(ev.ActorID)
		actor.Role = ev.Role
		in := InputFromEvent(ev)
		in.Version = g.Version
		next, _, err := s.Apply(actor, g, ev.Action, in, ev.At, look)
		if err != nil {
			return g, fmt.Errorf("replay of case %d, entry %d (%s): %w", c.ID, ev.Seq, ev.Action, err)
		}
		if next.Status != ev.ToState {
			return g, fmt.Errorf("replay of case %d, entry %d (%s): reached %s, the timeline says %s", c.ID, ev.Seq, ev.Action, next.Status, ev.ToState)
		}
		g = next
	}
	// How the unit was first chosen is not an action's doing: keep it.
	g.Routing = c.Routing
	return g, nil
}
