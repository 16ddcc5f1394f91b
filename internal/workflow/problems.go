package workflow

import (
	"errors"
	"fmt"
)

// ProblemKeyPrefix starts the message catalogue key (internal/i18n) of
// every problem a definition can have.
const ProblemKeyPrefix = "workflow.check."

// Keys of the problems found around Check when an administrator uploads a
// definition (internal/service).
const (
	ProblemNotDocument     = ProblemKeyPrefix + "not_a_document"    // args: the decoder's error text
	ProblemTrailingData    = ProblemKeyPrefix + "trailing_data"     // no args
	ProblemVersionNotAbove = ProblemKeyPrefix + "version_not_above" // args: version, newest version, type
	ProblemAlreadyStored   = ProblemKeyPrefix + "already_stored"    // args: type, version
	ProblemOther           = ProblemKeyPrefix + "other"             // args: an error's text
)

// Problem is one thing wrong with a definition: a message catalogue key
// and the arguments of its text, so that a caller can show it in the
// reader's language (String gives English). Field is the path of the field
// the problem is in — a case field, then the list item fields inside it —
// and is empty for problems of the definition as a whole.
type Problem struct {
	Key   string
	Args  []any
	Field []string
}

// Translate formats a message catalogue key with its arguments in one
// language; (*i18n.Catalog).T bound to a language is one.
type Translate func(key string, args ...any) string

// Text returns the problem as t words it, a field problem prefixed with
// the field's path.
func (p Problem) Text(t Translate) string {
	msg := t(p.Key, p.Args...)
	if len(p.Field) == 0 {
		return msg
	}
	where := t(ProblemKeyPrefix+"where_field", p.Field[0])
	for _, item := range p.Field[1:] {
		where = t(ProblemKeyPrefix+"where_item", where, item)
	}
	return t(ProblemKeyPrefix+"where", where, msg)
}

// String returns the problem in English.
func (p Problem) String() string { return p.Text(English) }

// English formats a problem key with its English text, the same as the
// "en" catalogue has. An unknown key is returned as it is.
func English(key string, args ...any) string {
	s, ok := englishProblems[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Problems returns the problems an error from Check names: those of a
// CheckError, or the error's text as one problem.
func Problems(err error) []Problem {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce.Problems
	}
	return []Problem{{Key: ProblemOther, Args: []any{err.Error()}}}
}

// problemTexts lists every problem key (after ProblemKeyPrefix) with its
// English text, in the order the catalogues (internal/i18n/locales) list
// them. A test checks that both catalogues have every key with the same
// arguments and the English one the same text.
var problemTexts = []struct{ key, en string }{
	{"type_version", "type (lower-case letters, digits, _) and a version ≥ 1 are required"},
	{"name_required", "name is required"},
	{"presence_invalid", "%s must be required, optional or none, not %q"},
	{"category_type_without_category", "category_type is set but category is none"},
	{"role_unknown_in", "%s: role %q does not exist"},
	{"field_duplicate", "field %q defined twice"},
	{"field_name_reserved", "field %q: the name is reserved for an action input"},
	{"field_required_action_only", "field %q: required on create and action_only contradict each other"},
	{"field_personal_type", "field %q: only string and text fields can be personal (sealed at rest)"},
	{"state_duplicate", "state %q defined twice"},
	{"state_name_invalid", "state %q: names are lower-case letters, digits and _"},
	{"initial_undefined", "initial state %q is not defined"},
	{"action_duplicate", "action %q defined twice"},
	{"action_name_invalid", "action %q: names are lower-case letters, digits and _, and create is reserved"},
	{"clock_duplicate", "clock %q defined twice"},
	{"clock_start_on_empty", "clock %q: start_on is empty"},
	{"clock_start_on_unknown", "clock %q: starts on unknown action %q"},
	{"clock_no_states", "clock %q: runs in no state"},
	{"clock_state_unknown", "clock %q: runs in unknown state %q"},
	{"clock_warn_share", "clock %q: warn_share must be between 0 and 1"},
	{"clock_rule_invalid", "clock %q: rule kind %q amount %d is not a valid deadline (natural_days, working_days, working_hours or urgent_hours, amount ≥ 1)"},
	{"clock_fixed_rule", "clock %q: a fixed rule needs kind and amount"},
	{"clock_category_none", "clock %q: counts from the category but the type has none"},
	{"clock_rule_field_unknown", "clock %q: rule field %q is not a field of the type"},
	{"clock_value_no_deadline", "clock %q: value %q of field %q has no deadline and the rule no fallback"},
	{"clock_rule_field_type", "clock %q: rule field %q must be an enum with deadlines or a date"},
	{"clock_rule_from", "clock %q: rule from must be empty, category or field, not %q"},
	{"clock_primaries", "%d clocks are primary; at most one may be"},
	{"action_no_from", "action %q has no from state"},
	{"action_from_undefined", "action %q: from state %q is not defined"},
	{"action_to_undefined", "action %q: to state %q is not defined"},
	{"action_to_and_results", "action %q: give either to or results, not both"},
	{"action_result_undefined", "action %q: result %q goes to undefined state %q"},
	{"action_no_roles", "action %q allows no role"},
	{"action_role_unknown", "action %q: role %q does not exist"},
	{"action_requires_unknown", "action %q: requires unknown field %q"},
	{"action_requires_result", "action %q: requires a result but has no results"},
	{"action_sets_unknown", "action %q: sets unknown field %q"},
	{"action_effect_unknown", "action %q: unknown effect %q (known: %v)"},
	{"merge_master", "action %q: a merge must require master"},
	{"extension_days", "action %q: an extension request must require days"},
	{"extension_max_days", "action %q: max_days must be between 1 and 365"},
	{"extension_decision_results", "action %q: an extension decision has exactly the results approved and denied"},
	{"follow_up_results", "action %q: a follow-up needs results (the satisfaction values)"},
	{"within_working_days", "action %q: within_working_days belongs to a return and must be positive"},
	{"max_days_misplaced", "action %q: max_days belongs to an extension request"},
	{"action_clock_unknown", "action %q: unknown clock %q"},
	{"action_no_clock", "action %q: names no clock and the type has no primary clock"},
	{"action_clock_misplaced", "action %q: clock belongs to an extension request or decision"},
	{"result_field_unknown", "action %q: result_field %q is not a field"},
	{"result_field_not_enum", "action %q: result_field %q must be an enum"},
	{"result_field_no_results", "action %q: result_field without results"},
	{"result_not_value", "action %q: result %q is not a value of field %q"},
	{"timely_clock_unknown", "action %q: timely names unknown clock %q"},
	{"timely_field", "action %q: timely field %q must be a bool field"},
	{"state_unreachable", "state %q cannot be reached from %q"},
	{"state_dead_end", "state %q is a dead end: mark it terminal or add an action out of it"},
	{"field_name_invalid", "names are lower-case letters, digits and _"},
	{"field_label_required", "a label is required"},
	{"field_type_unknown", "unknown type %q (known: %v)"},
	{"field_enum_values", "values are required for an enum and only for an enum"},
	{"field_enum_value_bad", "enum value %q is empty or repeated"},
	{"field_value_deadline", "value %q: invalid deadline"},
	{"field_min_max_type", "min and max apply to numbers only"},
	{"field_min_above_max", "min is above max"},
	{"field_max_len", "max_len applies to string and text only"},
	{"field_list_in_list", "a list cannot hold a list"},
	{"field_list_no_items", "a list needs item fields"},
	{"field_item_duplicate", "item field %q defined twice"},
	{"field_items_misplaced", "items and max_items apply to lists only"},
	{"where", "%s: %s"},
	{"where_field", "field %q"},
	{"where_item", "%s item %q"},
	{"not_a_document", "not a valid definition document: %s"},
	{"trailing_data", "trailing data after the definition"},
	{"version_not_above", "version %d is not above the newest version %d of %s"},
	{"already_stored", "%s v%d is already stored"},
	{"other", "%s"},
}

var englishProblems = func() map[string]string {
	m := make(map[string]string, len(problemTexts))
	for _, p := range problemTexts {
		m[ProblemKeyPrefix+p.key] = p.en
	}
	return m
}()
