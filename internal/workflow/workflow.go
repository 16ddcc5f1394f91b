// Package workflow holds case types as data: each definition names its
// typed fields, its states, its actions (from which states, to which, by
// which roles, which fields they set or require, which side-path rule they
// carry) and its clocks (where each starts, where it runs, how its due time
// is counted). Definitions are embedded JSON files or stored by an
// administrator, and are checked for consistency before use.
package workflow

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/yiwang-gov/yiwang/internal/model"
)

//go:embed defs/*.json
var defs embed.FS

// Definition is one case type's workflow.
type Definition struct {
	Type    string `json:"type"`
	Version int    `json:"version"`
	Name    string `json:"name"`
	NameEn  string `json:"name_en"`
	Initial string `json:"initial"`
	// Public cases can be tracked by receipt code without an account.
	Public bool `json:"public,omitempty"`
	// CreateRoles may create cases of this type; empty means anyone,
	// citizens without an account included.
	CreateRoles []string `json:"create_roles,omitempty"`
	// VisibleTo restricts who may see (and so act on) cases of this type at
	// all, e.g. discipline clues; empty means the usual role scoping.
	VisibleTo []string `json:"visible_to,omitempty"`
	// Category is required (default), optional or none. CategoryType, when
	// set, admits only categories of that case_type.
	Category     string `json:"category,omitempty"`
	CategoryType string `json:"category_type,omitempty"`
	// Location is required (default), optional or none.
	Location string     `json:"location,omitempty"`
	Fields   []Field    `json:"fields,omitempty"`
	Clocks   []Clock    `json:"clocks,omitempty"`
	States   []StateDef `json:"states"`
	Actions  []Action   `json:"actions"`
}

// Presence values of Category and Location.
const (
	Required = "required"
	Optional = "optional"
	None     = "none"
)

// StateDef describes a state.
type StateDef struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	LabelEn  string `json:"label_en"`
	Terminal bool   `json:"terminal,omitempty"`
}

// FieldType is the type of a case field.
type FieldType string

const (
	FieldString  FieldType = "string"  // one line, max_len (default 200)
	FieldText    FieldType = "text"    // free text, max_len (default 4000)
	FieldInt     FieldType = "int"     // integer, min/max
	FieldDecimal FieldType = "decimal" // number, min/max
	FieldMoney   FieldType = "money"   // yuan, ≥ 0, at most 2 decimals
	FieldBool    FieldType = "bool"
	FieldDate    FieldType = "date" // YYYY-MM-DD
	FieldEnum    FieldType = "enum" // one of values
	FieldUnit    FieldType = "unit" // org unit id
	FieldList    FieldType = "list" // list of records with the fields in items
)

var fieldTypes = []FieldType{FieldString, FieldText, FieldInt, FieldDecimal, FieldMoney, FieldBool, FieldDate, FieldEnum, FieldUnit, FieldList}

// Field is a typed field of a case type (or of a list item).
type Field struct {
	Name    string    `json:"name"`
	Label   string    `json:"label"`
	LabelEn string    `json:"label_en"`
	Type    FieldType `json:"type"`
	// Required on create. Fields an action must set are named in its requires.
	Required bool `json:"required,omitempty"`
	// ActionOnly fields are set by actions, never on create.
	ActionOnly bool        `json:"action_only,omitempty"`
	Default    any         `json:"default,omitempty"`
	Values     []EnumValue `json:"values,omitempty"`
	Min        *float64    `json:"min,omitempty"`
	Max        *float64    `json:"max,omitempty"`
	MaxLen     int         `json:"max_len,omitempty"`
	MaxItems   int         `json:"max_items,omitempty"`
	Items      []Field     `json:"items,omitempty"`
	// Personal fields hold personal data (a clue's person concerned, a
	// referral's patient): the store seals their values at rest like the
	// reporter's name. Only top-level string and text fields may be.
	Personal bool `json:"personal,omitempty"`
}

// EnumValue is one allowed value of an enum field. Deadline lets the value
// pick a clock's rule (a hotline order's urgency: emergency 2 h, general 7
// working days ...).
type EnumValue struct {
	Value    string              `json:"value"`
	Label    string              `json:"label"`
	LabelEn  string              `json:"label_en"`
	Deadline *model.DeadlineRule `json:"deadline,omitempty"`
}

// Value returns the enum value v.
func (f Field) Value(v string) (EnumValue, bool) {
	for _, e := range f.Values {
		if e.Value == v {
			return e, true
		}
	}
	return EnumValue{}, false
}

// Clock is a deadline clock. It starts (its due time is computed) when one
// of StartOn happens ("create" or an action), runs while the case is in one
// of States and stops elsewhere; coming back into States resumes it with the
// same due time until a start action restarts it.
type Clock struct {
	Name    string    `json:"name"`
	Label   string    `json:"label"`
	LabelEn string    `json:"label_en"`
	StartOn []string  `json:"start_on"`
	States  []string  `json:"states"`
	Rule    ClockRule `json:"rule"`
	// Primary: this clock's due time is the case's due_at.
	Primary bool `json:"primary,omitempty"`
	// WarnShare is the elapsed share at which the case turns yellow; 0
	// takes the service's default (0.8).
	WarnShare float64 `json:"warn_share,omitempty"`
}

// ClockRule says how a clock's due time is counted. From "" uses Kind and
// Amount; "category" the case category's rule; "field" the named case
// field (an enum value's deadline, or the end of a date). Kind and Amount,
// when set, are the fallback of "category" and "field".
type ClockRule struct {
	From   string             `json:"from,omitempty"`
	Field  string             `json:"field,omitempty"`
	Kind   model.DeadlineKind `json:"kind,omitempty"`
	Amount int                `json:"amount,omitempty"`
}

// Fallback returns the fixed part of the rule, if any.
func (r ClockRule) Fallback() (model.DeadlineRule, bool) {
	return model.DeadlineRule{Kind: r.Kind, Amount: r.Amount}, r.Kind != ""
}

// Action is a transition. When Results is set the action takes a result and
// the result picks the target state (an empty target keeps the state);
// otherwise To is the target ("" keeps the state, as a follow-up call on a
// closed case does).
type Action struct {
	Name    string            `json:"name"`
	Label   string            `json:"label"`
	LabelEn string            `json:"label_en"`
	From    []string          `json:"from"`
	To      string            `json:"to,omitempty"`
	Results map[string]string `json:"results,omitempty"`
	Roles   []string          `json:"roles"`
	// Requires names inputs the action must carry (note, unit, result,
	// evidence, master, days, owner) and case fields the case must hold
	// after the action (given now or earlier).
	Requires []string `json:"requires,omitempty"`
	// Fields are the case fields the action may set.
	Fields []string `json:"fields,omitempty"`
	// Effect is the built-in behaviour the action carries (see Effects).
	Effect string `json:"effect,omitempty"`
	// ResultField stores the result in this enum case field too.
	ResultField string `json:"result_field,omitempty"`
	// WithinWorkingDays (effect return): refused once more working days
	// than this have passed since dispatch.
	WithinWorkingDays int `json:"within_working_days,omitempty"`
	// MaxDays (effect extension_request): the longest extension.
	MaxDays int `json:"max_days,omitempty"`
	// Clock the effect concerns (extensions); default the primary clock.
	Clock string `json:"clock,omitempty"`
	// Timely records in a bool field whether the action came before a
	// clock's due time (12345 响应率: signed for in time).
	Timely *Timely `json:"timely,omitempty"`
}

// Timely names a clock and the bool field that records punctuality.
type Timely struct {
	Clock string `json:"clock"`
	Field string `json:"field"`
}

// Effects are the built-in behaviours an action can carry.
const (
	EffectDispatch          = "dispatch"           // send to a unit (input unit, default the routed unit)
	EffectMerge             = "merge"              // merge into a master case
	EffectReturn            = "return"             // 退单, optionally within N working days of dispatch
	EffectExtensionRequest  = "extension_request"  // 申请延期: days, once per case
	EffectExtensionDecision = "extension_decision" // 审批延期: results approved/denied; approval moves the due time
	EffectFollowUp          = "follow_up"          // 回访: the result is the satisfaction
	EffectReopen            = "reopen"             // 重新打开: clears the satisfaction
	EffectOwn               = "own"                // 包案: input owner, default the actor
	EffectDecline           = "decline"            // 拒收: back to the unit the case came from
)

var effects = []string{EffectDispatch, EffectMerge, EffectReturn, EffectExtensionRequest, EffectExtensionDecision, EffectFollowUp, EffectReopen, EffectOwn, EffectDecline}

// Builtins are the inputs every action may carry.
var Builtins = []string{"note", "unit", "result", "evidence", "master", "days", "owner"}

// Extension decision results.
const (
	Approved = "approved"
	Denied   = "denied"
)

var (
	// ErrUnknownAction: the definition has no such action.
	ErrUnknownAction = errors.New("workflow: unknown action")
	// ErrRole: the role may not take this action.
	ErrRole = errors.New("workflow: role not allowed")
	// ErrState: the action is not possible from the current state.
	ErrState = errors.New("workflow: action not valid in this state")
	// ErrResult: the result is not one the action knows.
	ErrResult = errors.New("workflow: bad result")
)

// Parse reads and checks one definition. Unknown keys are refused so that a
// misspelt key is an error, not a silently ignored rule.
func Parse(data []byte) (*Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("workflow: %w", err)
	}
	if dec.More() {
		return nil, errors.New("workflow: trailing data after the definition")
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Check refuses an inconsistent definition: unknown states, roles, fields
// or clocks anywhere they are named; unknown effects and rules; states no
// path reaches and non-terminal states with no way out. Every problem is
// reported, not only the first.
func (d *Definition) Check() error {
	var errs []Problem
	bad := func(key string, args ...any) { errs = append(errs, Problem{Key: ProblemKeyPrefix + key, Args: args}) }
	if !nameRe.MatchString(d.Type) || d.Version < 1 {
		bad("type_version")
	}
	if d.Name == "" {
		bad("name_required")
	}
	for _, p := range []struct{ key, v string }{{"category", d.Category}, {"location", d.Location}} {
		if p.v != "" && p.v != Required && p.v != Optional && p.v != None {
			bad("presence_invalid", p.key, p.v)
		}
	}
	if d.CategoryType != "" && d.Category == None {
		bad("category_type_without_category")
	}
	for _, list := range []struct {
		key   string
		roles []string
	}{{"create_roles", d.CreateRoles}, {"visible_to", d.VisibleTo}} {
		for _, r := range list.roles {
			if !model.Role(r).Valid() {
				bad("role_unknown_in", list.key, r)
			}
		}
	}

	fields := map[string]Field{}
	for _, f := range d.Fields {
		if _, dup := fields[f.Name]; dup {
			bad("field_duplicate", f.Name)
		}
		fields[f.Name] = f
		if slices.Contains(Builtins, f.Name) {
			bad("field_name_reserved", f.Name)
		}
		errs = append(errs, checkField([]string{f.Name}, f, true)...)
		if f.Required && f.ActionOnly {
			bad("field_required_action_only", f.Name)
		}
		if f.Personal && f.Type != FieldString && f.Type != FieldText {
			bad("field_personal_type", f.Name)
		}
	}

	states := map[string]bool{}
	for _, s := range d.States {
		if states[s.Name] {
			bad("state_duplicate", s.Name)
		}
		if !nameRe.MatchString(s.Name) {
			bad("state_name_invalid", s.Name)
		}
		states[s.Name] = true
	}
	if !states[d.Initial] {
		bad("initial_undefined", d.Initial)
	}

	names := map[string]bool{}
	for _, a := range d.Actions {
		if names[a.Name] {
			bad("action_duplicate", a.Name)
		}
		if a.Name == "create" || !nameRe.MatchString(a.Name) {
			bad("action_name_invalid", a.Name)
		}
		names[a.Name] = true
	}

	clocks := map[string]Clock{}
	primaries := 0
	for _, c := range d.Clocks {
		if _, dup := clocks[c.Name]; dup {
			bad("clock_duplicate", c.Name)
		}
		clocks[c.Name] = c
		if c.Primary {
			primaries++
		}
		if len(c.StartOn) == 0 {
			bad("clock_start_on_empty", c.Name)
		}
		for _, s := range c.StartOn {
			if s != "create" && !names[s] {
				bad("clock_start_on_unknown", c.Name, s)
			}
		}
		if len(c.States) == 0 {
			bad("clock_no_states", c.Name)
		}
		for _, s := range c.States {
			if !states[s] {
				bad("clock_state_unknown", c.Name, s)
			}
		}
		if c.WarnShare < 0 || c.WarnShare >= 1 {
			bad("clock_warn_share", c.Name)
		}
		r := c.Rule
		if r.Kind != "" && (!validKind(r.Kind) || r.Amount < 1) {
			bad("clock_rule_invalid", c.Name, r.Kind, r.Amount)
		}
		switch r.From {
		case "":
			if r.Kind == "" {
				bad("clock_fixed_rule", c.Name)
			}
		case "category":
			if d.Category == None {
				bad("clock_category_none", c.Name)
			}
		case "field":
			f, ok := fields[r.Field]
			switch {
			case !ok:
				bad("clock_rule_field_unknown", c.Name, r.Field)
			case f.Type == FieldEnum:
				for _, v := range f.Values {
					if v.Deadline == nil && r.Kind == "" {
						bad("clock_value_no_deadline", c.Name, v.Value, f.Name)
					}
				}
			case f.Type != FieldDate:
				bad("clock_rule_field_type", c.Name, r.Field)
			}
		default:
			bad("clock_rule_from", c.Name, r.From)
		}
	}
	if primaries > 1 {
		bad("clock_primaries", primaries)
	}

	for _, a := range d.Actions {
		if len(a.From) == 0 {
			bad("action_no_from", a.Name)
		}
		for _, f := range a.From {
			if !states[f] {
				bad("action_from_undefined", a.Name, f)
			}
		}
		if a.To != "" && !states[a.To] {
			bad("action_to_undefined", a.Name, a.To)
		}
		if a.To != "" && len(a.Results) > 0 {
			bad("action_to_and_results", a.Name)
		}
		for _, r := range sortedKeys(a.Results) {
			if to := a.Results[r]; to != "" && !states[to] {
				bad("action_result_undefined", a.Name, r, to)
			}
		}
		if len(a.Roles) == 0 {
			bad("action_no_roles", a.Name)
		}
		for _, r := range a.Roles {
			if !model.Role(r).Valid() {
				bad("action_role_unknown", a.Name, r)
			}
		}
		for _, f := range a.Requires {
			if _, ok := fields[f]; !ok && !slices.Contains(Builtins, f) {
				bad("action_requires_unknown", a.Name, f)
			}
			if f == "result" && len(a.Results) == 0 {
				bad("action_requires_result", a.Name)
			}
		}
		for _, f := range a.Fields {
			if _, ok := fields[f]; !ok {
				bad("action_sets_unknown", a.Name, f)
			}
		}
		if a.Effect != "" && !slices.Contains(effects, a.Effect) {
			bad("action_effect_unknown", a.Name, a.Effect, effects)
		}
		switch a.Effect {
		case EffectMerge:
			if !slices.Contains(a.Requires, "master") {
				bad("merge_master", a.Name)
			}
		case EffectExtensionRequest:
			if !slices.Contains(a.Requires, "days") {
				bad("extension_days", a.Name)
			}
			if a.MaxDays < 1 || a.MaxDays > 365 {
				bad("extension_max_days", a.Name)
			}
		case EffectExtensionDecision:
			if len(a.Results) != 2 || !hasKey(a.Results, Approved) || !hasKey(a.Results, Denied) {
				bad("extension_decision_results", a.Name)
			}
		case EffectFollowUp:
			if len(a.Results) == 0 {
				bad("follow_up_results", a.Name)
			}
		}
		if a.WithinWorkingDays != 0 && (a.Effect != EffectReturn || a.WithinWorkingDays < 0) {
			bad("within_working_days", a.Name)
		}
		if a.MaxDays != 0 && a.Effect != EffectExtensionRequest {
			bad("max_days_misplaced", a.Name)
		}
		if a.Effect == EffectExtensionRequest || a.Effect == EffectExtensionDecision {
			if a.Clock != "" {
				if _, ok := clocks[a.Clock]; !ok {
					bad("action_clock_unknown", a.Name, a.Clock)
				}
			} else if primaries == 0 {
				bad("action_no_clock", a.Name)
			}
		} else if a.Clock != "" {
			bad("action_clock_misplaced", a.Name)
		}
		if a.ResultField != "" {
			f, ok := fields[a.ResultField]
			switch {
			case !ok:
				bad("result_field_unknown", a.Name, a.ResultField)
			case f.Type != FieldEnum:
				bad("result_field_not_enum", a.Name, a.ResultField)
			case len(a.Results) == 0:
				bad("result_field_no_results", a.Name)
			default:
				for _, r := range sortedKeys(a.Results) {
					if _, ok := f.Value(r); !ok {
						bad("result_not_value", a.Name, r, f.Name)
					}
				}
			}
		}
		if t := a.Timely; t != nil {
			if _, ok := clocks[t.Clock]; !ok {
				bad("timely_clock_unknown", a.Name, t.Clock)
			}
			if f, ok := fields[t.Field]; !ok || f.Type != FieldBool {
				bad("timely_field", a.Name, t.Field)
			}
		}
	}

	// Every state must be reachable from the initial one.
	reach := map[string]bool{d.Initial: true}
	for changed := true; changed; {
		changed = false
		for _, a := range d.Actions {
			for _, from := range a.From {
				if !reach[from] {
					continue
				}
				for _, to := range a.targetsFrom(from) {
					if states[to] && !reach[to] {
						reach[to], changed = true, true
					}
				}
			}
		}
	}
	for _, s := range d.States {
		if !reach[s.Name] {
			bad("state_unreachable", s.Name, d.Initial)
		}
		if !s.Terminal && !slices.ContainsFunc(d.Actions, func(a Action) bool {
			return slices.Contains(a.From, s.Name) && slices.ContainsFunc(a.targetsFrom(s.Name), func(t string) bool { return t != s.Name })
		}) {
			bad("state_dead_end", s.Name)
		}
	}
	if len(errs) > 0 {
		return &CheckError{Type: d.Type, Version: d.Version, Problems: errs}
	}
	return nil
}

// CheckError lists every problem of a refused definition, in the order
// Check finds them.
type CheckError struct {
	Type     string
	Version  int
	Problems []Problem
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("workflow %s v%d: %s", e.Type, e.Version, strings.Join(e.Messages(), "\n"))
}

// Messages returns the problems in English.
func (e *CheckError) Messages() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

// checkField checks a case field or, below a list, an item field; where is
// the path of its name.
func checkField(where []string, f Field, top bool) []Problem {
	var errs []Problem
	bad := func(key string, args ...any) {
		errs = append(errs, Problem{Key: ProblemKeyPrefix + key, Args: args, Field: where})
	}
	if !nameRe.MatchString(f.Name) {
		bad("field_name_invalid")
	}
	if f.Label == "" {
		bad("field_label_required")
	}
	if !slices.Contains(fieldTypes, f.Type) {
		bad("field_type_unknown", f.Type, fieldTypes)
	}
	if (f.Type == FieldEnum) != (len(f.Values) > 0) {
		bad("field_enum_values")
	}
	seen := map[string]bool{}
	for _, v := range f.Values {
		if v.Value == "" || seen[v.Value] {
			bad("field_enum_value_bad", v.Value)
		}
		seen[v.Value] = true
		if v.Deadline != nil && (!validKind(v.Deadline.Kind) || v.Deadline.Amount < 1) {
			bad("field_value_deadline", v.Value)
		}
	}
	if (f.Min != nil || f.Max != nil) && f.Type != FieldInt && f.Type != FieldDecimal && f.Type != FieldMoney {
		bad("field_min_max_type")
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		bad("field_min_above_max")
	}
	if f.MaxLen < 0 || (f.MaxLen > 0 && f.Type != FieldString && f.Type != FieldText) {
		bad("field_max_len")
	}
	if f.Type == FieldList {
		if !top {
			bad("field_list_in_list")
		}
		if len(f.Items) == 0 {
			bad("field_list_no_items")
		}
		names := map[string]bool{}
		for _, it := range f.Items {
			if names[it.Name] {
				bad("field_item_duplicate", it.Name)
			}
			names[it.Name] = true
			errs = append(errs, checkField(append(slices.Clip(where), it.Name), it, false)...)
		}
	} else if len(f.Items) > 0 || f.MaxItems != 0 {
		bad("field_items_misplaced")
	}
	return errs
}

func validKind(k model.DeadlineKind) bool {
	switch k {
	case model.DeadlineNaturalDays, model.DeadlineWorkingDays, model.DeadlineWorkingHours, model.DeadlineUrgentHours:
		return true
	}
	return false
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// targetsFrom lists the states the action can lead to from state.
func (a Action) targetsFrom(state string) []string {
	if len(a.Results) == 0 {
		if a.To == "" {
			return []string{state}
		}
		return []string{a.To}
	}
	var out []string
	for _, r := range sortedKeys(a.Results) {
		if to := a.Results[r]; to != "" {
			out = append(out, to)
		} else {
			out = append(out, state)
		}
	}
	return out
}

// Action returns the named action.
func (d *Definition) Action(name string) (Action, bool) {
	for _, a := range d.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// State returns the named state's definition.
func (d *Definition) State(name string) (StateDef, bool) {
	for _, s := range d.States {
		if s.Name == name {
			return s, true
		}
	}
	return StateDef{}, false
}

// Field returns the named case field.
// PersonalFields names the fields whose values are sealed at rest.
func (d *Definition) PersonalFields() []string {
	var out []string
	for _, f := range d.Fields {
		if f.Personal {
			out = append(out, f.Name)
		}
	}
	return out
}

func (d *Definition) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Clock returns the named clock.
func (d *Definition) Clock(name string) (Clock, bool) {
	for _, c := range d.Clocks {
		if c.Name == name {
			return c, true
		}
	}
	return Clock{}, false
}

// PrimaryClock returns the clock whose due time is the case's due_at.
func (d *Definition) PrimaryClock() (Clock, bool) {
	for _, c := range d.Clocks {
		if c.Primary {
			return c, true
		}
	}
	return Clock{}, false
}

// Terminal reports whether state is a terminal state of the definition.
func (d *Definition) Terminal(state string) bool {
	s, ok := d.State(state)
	return ok && s.Terminal
}

// Visible reports whether role may see cases of this type at all.
func (d *Definition) Visible(role model.Role) bool {
	return len(d.VisibleTo) == 0 || slices.Contains(d.VisibleTo, string(role))
}

// MayCreate reports whether role may create cases of this type; "" is a
// citizen without an account.
func (d *Definition) MayCreate(role model.Role) bool {
	if role == "" {
		role = model.RoleCitizen
	}
	return len(d.CreateRoles) == 0 || slices.Contains(d.CreateRoles, string(role))
}

// CategoryPresence returns required, optional or none.
func (d *Definition) CategoryPresence() string { return orDefault(d.Category) }

// LocationPresence returns required, optional or none.
func (d *Definition) LocationPresence() string { return orDefault(d.Location) }

func orDefault(s string) string {
	if s == "" {
		return Required
	}
	return s
}

// Allows reports whether role may take the action (ignoring state).
func (a Action) Allows(role model.Role) bool { return slices.Contains(a.Roles, string(role)) }

// Needs reports whether the action requires field f.
func (a Action) Needs(f string) bool { return slices.Contains(a.Requires, f) }

// Sets reports whether the action may set case field f.
func (a Action) Sets(f string) bool {
	return slices.Contains(a.Fields, f) || slices.Contains(a.Requires, f)
}

// Transition checks that role may take action from state and returns the
// state after it. The order of checks is the API's: unknown action, then
// role (403), then state (422), then result.
func (d *Definition) Transition(from model.State, action string, role model.Role, result string) (model.State, error) {
	a, ok := d.Action(action)
	if !ok {
		return "", ErrUnknownAction
	}
	if !a.Allows(role) {
		return "", ErrRole
	}
	if !slices.Contains(a.From, string(from)) {
		return "", ErrState
	}
	if len(a.Results) > 0 {
		to, ok := a.Results[result]
		if !ok {
			return "", ErrResult
		}
		if to == "" {
			return from, nil
		}
		return model.State(to), nil
	}
	if a.To == "" {
		return from, nil
	}
	return model.State(a.To), nil
}

// Available lists the actions role may take from state, in definition order.
func (d *Definition) Available(from model.State, role model.Role) []Action {
	var out []Action
	for _, a := range d.Actions {
		if a.Allows(role) && slices.Contains(a.From, string(from)) {
			out = append(out, a)
		}
	}
	return out
}

// Registry holds the loaded definitions by type and version. Cases keep the
// version they started with, so older versions stay loaded. It is safe for
// concurrent use: an administrator may add a version while cases are acted on.
type Registry struct {
	mu     sync.RWMutex
	byType map[string]map[int]*Definition
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byType: map[string]map[int]*Definition{}} }

// Default loads the embedded definitions.
func Default() (*Registry, error) {
	entries, err := defs.ReadDir("defs")
	if err != nil {
		return nil, err
	}
	r := NewRegistry()
	for _, e := range entries {
		data, err := defs.ReadFile("defs/" + e.Name())
		if err != nil {
			return nil, err
		}
		d, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		if err := r.Add(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ErrVersionTaken: the type already has this version with other content.
var ErrVersionTaken = errors.New("workflow: version already loaded with different content")

// Add registers a checked definition. Adding the same content again is a
// no-op (two services may share a registry); other content under a loaded
// type/version is refused, since cases may already run on it.
func (r *Registry) Add(d *Definition) error {
	if err := d.Check(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byType[d.Type] == nil {
		r.byType[d.Type] = map[int]*Definition{}
	}
	if old, dup := r.byType[d.Type][d.Version]; dup {
		if reflect.DeepEqual(old, d) {
			return nil
		}
		return fmt.Errorf("%w: %s v%d", ErrVersionTaken, d.Type, d.Version)
	}
	r.byType[d.Type][d.Version] = d
	return nil
}

// Latest returns the newest version of a type.
func (r *Registry) Latest(typ string) (*Definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var best *Definition
	for _, d := range r.byType[typ] {
		if best == nil || d.Version > best.Version {
			best = d
		}
	}
	return best, best != nil
}

// Get returns a type at a version.
func (r *Registry) Get(typ string, version int) (*Definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.byType[typ][version]
	return d, ok
}

// Types lists the loaded case types.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.byType))
	for t := range r.byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// All returns every loaded definition, by type then version.
func (r *Registry) All() []*Definition {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*Definition
	for _, vs := range r.byType {
		for _, d := range vs {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Version < out[j].Version
	})
	return out
}
