package service

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// ruleFor finds the routing rule for a category at a place: the most
// specific area first (grid, community, street, district), and within an
// area the most specific category (the category, then its ancestors), so
// a rule for 公用设施 in a street covers every kind of 公用设施 there unless
// a rule for the leaf says otherwise.
func (r *Reference) ruleFor(categoryID, gridID, communityID, streetID int64) (store.Rule, bool) {
	if categoryID == 0 || len(r.rules) == 0 {
		return store.Rule{}, false
	}
	for _, area := range [...]int64{gridID, communityID, streetID, r.Root.ID} {
		if area == 0 {
			continue
		}
		for cat, depth := categoryID, 0; cat != 0 && depth < 16; cat, depth = r.Categories[cat].ParentID, depth+1 {
			if rule, ok := r.rules[[2]int64{cat, area}]; ok {
				return rule, true
			}
		}
	}
	return store.Rule{}, false
}

// Rules returns the routing rules of the snapshot, by id.
func (r *Reference) Rules() []store.Rule {
	out := make([]store.Rule, 0, len(r.ruleByID))
	for _, x := range r.ruleByID {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b store.Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Rule returns one rule of the snapshot.
func (r *Reference) Rule(id int64) (store.Rule, bool) {
	x, ok := r.ruleByID[id]
	return x, ok
}

// RuleInput is a routing rule as an administrator writes it. Category is a
// code or CategoryID an id; rules on a parent category cover its leaves.
type RuleInput struct {
	Category   string
	CategoryID int64
	AreaID     int64
	UnitID     int64
	CoUnitIDs  []int64
	Note       string
}

// MaxRuleNote bounds a rule's note.
const MaxRuleNote = 500

// MaxCoUnits bounds a rule's co-units.
const MaxCoUnits = 10

func (s *Service) ruleFromInput(ref *Reference, in RuleInput) (store.Rule, error) {
	v := &ValidationError{}
	var r store.Rule
	switch {
	case in.CategoryID != 0:
		if _, ok := ref.Categories[in.CategoryID]; !ok {
			v.add("category", "field.unknown_category")
		}
		r.CategoryID = in.CategoryID
	case in.Category != "":
		c, ok := ref.ByCode[in.Category]
		if !ok {
			v.add("category", "field.unknown_category")
		}
		r.CategoryID = c.ID
	default:
		v.add("category", "field.required")
	}
	switch o, ok := ref.Org[in.AreaID]; {
	case in.AreaID == 0:
		v.add("area_id", "field.required")
	case !ok || o.Kind == model.OrgDepartment:
		v.add("area_id", "field.not_an_area")
	}
	switch {
	case in.UnitID == 0:
		v.add("unit_id", "field.required")
	case !ref.Dispatchable(in.UnitID):
		v.add("unit_id", "field.unknown_unit")
	}
	if len(in.CoUnitIDs) > MaxCoUnits {
		v.add("co_unit_ids", "field.too_many", MaxCoUnits)
	}
	seen := map[int64]bool{}
	for _, id := range in.CoUnitIDs {
		switch {
		case !ref.Dispatchable(id):
			v.add("co_unit_ids", "field.unknown_unit")
		case id == in.UnitID:
			v.add("co_unit_ids", "field.co_unit_is_lead")
		case seen[id]:
			v.add("co_unit_ids", "field.duplicate")
		}
		seen[id] = true
	}
	note := strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(note) > MaxRuleNote {
		v.add("note", "field.too_long", MaxRuleNote)
	}
	if err := v.err(); err != nil {
		return r, err
	}
	r.AreaID, r.UnitID, r.Note = in.AreaID, in.UnitID, note
	r.CoUnitIDs = append([]int64{}, in.CoUnitIDs...)
	r.UpdatedAt = s.now()
	return r, nil
}

func requireAdmin(actor model.User) error {
	switch {
	case actor.ID == 0 && actor.Role == "":
		return ErrUnauthorized
	case actor.Role != model.RoleAdmin:
		return ErrForbidden
	}
	return nil
}

// CreateRule adds a routing rule (administrators). A second rule for the
// same category and area is a conflict.
func (s *Service) CreateRule(ctx context.Context, actor model.User, in RuleInput) (store.Rule, error) {
	if err := requireAdmin(actor); err != nil {
		return store.Rule{}, err
	}
	r, err := s.ruleFromInput(s.Ref(), in)
	if err != nil {
		return r, err
	}
	if err := s.store.CreateRule(ctx, &r, actor.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return r, Invalid("area_id", "field.rule_exists")
		}
		return r, err
	}
	return r, s.Reload(ctx)
}

// UpdateRule replaces a routing rule (administrators); the old version is kept.
func (s *Service) UpdateRule(ctx context.Context, actor model.User, id int64, in RuleInput) (store.Rule, error) {
	if err := requireAdmin(actor); err != nil {
		return store.Rule{}, err
	}
	r, err := s.ruleFromInput(s.Ref(), in)
	if err != nil {
		return r, err
	}
	r.ID = id
	switch err := s.store.UpdateRule(ctx, r, actor.ID); {
	case errors.Is(err, store.ErrNotFound):
		return r, ErrNotFound
	case errors.Is(err, store.ErrConflict):
		return r, Invalid("area_id", "field.rule_exists")
	case err != nil:
		return r, err
	}
	return r, s.Reload(ctx)
}

// DeleteRule removes a routing rule (administrators); its history stays,
// so cases it routed are still explained.
func (s *Service) DeleteRule(ctx context.Context, actor model.User, id int64) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := s.store.DeleteRule(ctx, id, s.now(), actor.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		return err
	}
	return s.Reload(ctx)
}

// RuleHistory returns a rule's versions, oldest first (staff only).
func (s *Service) RuleHistory(ctx context.Context, actor model.User, id int64) ([]store.RuleVersion, error) {
	if actor.ID == 0 {
		return nil, ErrUnauthorized
	}
	vs, err := s.store.RuleVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		// A rule loaded with the reference data and never changed.
		r, ok := s.Ref().Rule(id)
		if !ok {
			return nil, ErrNotFound
		}
		vs = []store.RuleVersion{{Rule: r, Version: 1}}
	}
	return vs, nil
}

// RoutingExplanation says why a case went to its unit: the rule (as it was
// when the case was created) with its co-units, or the component whose
// maintaining unit it is, or the category default or 属地.
type RoutingExplanation struct {
	How       string             `json:"how"` // rule, component, category, territorial, manual, creator
	RuleID    int64              `json:"rule_id,omitempty"`
	Rule      *store.RuleVersion `json:"rule,omitempty"`
	Lead      int64              `json:"lead_unit_id,omitempty"`
	CoUnitIDs []int64            `json:"co_unit_ids,omitempty"`
	Component *store.Component   `json:"component,omitempty"`
	// ComponentM is the component's distance from the case's point.
	ComponentM float64 `json:"component_m,omitempty"`
	// GridVersion is the version of the grid's geometry in force when the
	// case was created (0: before versions were kept).
	GridVersion int  `json:"grid_version,omitempty"`
	Fallback    bool `json:"fallback"`
	// Recorded is true when the placement was recorded at creation (see
	// RecordPlacement); otherwise it is reconstructed from history.
	Recorded bool `json:"recorded"`
}

// ExplainRouting explains a case's routing. The caller has checked that
// the viewer may see the case.
func (s *Service) ExplainRouting(ctx context.Context, c model.Case) (RoutingExplanation, error) {
	ref := s.Ref()
	ex := RoutingExplanation{How: c.Routing, Lead: c.UnitID}
	rec, err := s.store.CasePlace(ctx, c.ID)
	switch {
	case err == nil:
		ex.Recorded, ex.Fallback, ex.GridVersion = true, rec.Fallback, rec.GridVersion
	case !errors.Is(err, store.ErrNotFound):
		return ex, err
	default:
		ex.Fallback = c.GridID == 0 && (c.Lat != 0 || c.Lng != 0)
		if c.GridID != 0 {
			if vs, err := s.store.GridVersions(ctx, c.GridID); err == nil {
				ex.GridVersion = versionAt(vs, c.CreatedAt)
			}
		}
	}
	if strings.HasPrefix(c.Routing, "rule:") {
		ex.How = "rule"
		ex.RuleID, _ = strconv.ParseInt(strings.TrimPrefix(c.Routing, "rule:"), 10, 64)
		vs, err := s.store.RuleVersions(ctx, ex.RuleID)
		if err != nil {
			return ex, err
		}
		var at *store.RuleVersion
		for i := range vs {
			v := &vs[i]
			if !v.ValidFrom.After(c.CreatedAt) && (v.ValidTo.IsZero() || v.ValidTo.After(c.CreatedAt)) {
				at = v
			}
		}
		if at == nil {
			if r, ok := ref.Rule(ex.RuleID); ok {
				at = &store.RuleVersion{Rule: r, Version: 1}
			}
		}
		if at != nil {
			ex.Rule, ex.CoUnitIDs = at, at.CoUnitIDs
		}
	}
	code := ""
	if ex.Recorded {
		code, ex.ComponentM = rec.ComponentCode, rec.ComponentM
		if rec.RuleID != 0 {
			ex.CoUnitIDs = rec.CoUnitIDs
		}
	} else if c.Routing == "component" && c.CategoryID != 0 {
		if h, ok := ref.nearestComponent(c.Lat, c.Lng, c.CategoryID); ok {
			code, ex.ComponentM = h.Code, h.Meters
		}
	}
	if code != "" {
		if comp, ok := ref.ComponentByCode(code); ok {
			ex.Component = &comp
		} else {
			ex.Component = &store.Component{Code: code} // since removed from the register
		}
	}
	return ex, nil
}

// RecordPlacement keeps how a new case was placed (the component it was
// attached to, the rule version and co-units, the grid version), for
// ExplainRouting. Errors are logged, never returned: the case is already
// stored and routing does not depend on the record.
func (s *Service) RecordPlacement(ctx context.Context, c model.Case, p Placement) {
	// Grid placement alone needs no record: the case row holds the grid and
	// its version follows from the grid's history at created_at. Only a
	// rule or a component is worth a write on the intake path.
	if c.ID == 0 || (p.RuleID == 0 && p.ComponentCode == "") {
		return
	}
	rec := store.CasePlace{CaseID: c.ID, RuleID: p.RuleID, CoUnitIDs: p.CoUnitIDs, ComponentCode: p.ComponentCode,
		ComponentM: p.ComponentM, Fallback: p.Fallback, Exact: p.Exact}
	if p.RuleID != 0 {
		if vs, err := s.store.RuleVersions(ctx, p.RuleID); err == nil && len(vs) > 0 {
			rec.RuleVersion = vs[len(vs)-1].Version
		} else {
			rec.RuleVersion = 1
		}
	}
	if p.GridID != 0 {
		if vs, err := s.store.GridVersions(ctx, p.GridID); err == nil {
			rec.GridVersion = versionAt(vs, c.CreatedAt)
		}
	}
	if err := s.store.PutCasePlace(ctx, rec); err != nil {
		s.log.Warn("case placement not recorded", "case", c.ID, "err", err)
	}
}

// versionAt returns the version valid at t (the last one that started at
// or before t), 0 when none.
func versionAt(vs []store.GridVersion, t time.Time) int {
	v := 0
	for _, x := range vs {
		if !x.ValidFrom.After(t) {
			v = x.Version
		}
	}
	return v
}
