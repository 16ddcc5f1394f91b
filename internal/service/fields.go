package service

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// Defaults for fields that do not set their own limits.
const (
	maxStringField = 200
	maxTextField   = 4000
	maxListItems   = 100
	maxMoney       = 1e13 // yuan; far above any county budget
)

// fieldProblem is what is wrong with one value: a catalogue key and args.
type fieldProblem struct {
	key  string
	args []any
}

// createFields validates the fields given on create against the definition
// and returns them normalised, with defaults filled in. Problems are added
// to v under "fields.<name>".
func (s *Service) createFields(def *workflow.Definition, in map[string]any, v *ValidationError) map[string]any {
	out := map[string]any{}
	for name, raw := range in {
		f, ok := def.Field(name)
		switch {
		case !ok:
			v.add("fields."+name, "field.unknown_field")
			continue
		case f.ActionOnly:
			v.add("fields."+name, "field.not_settable")
			continue
		}
		val, p := s.normalizeField(f, raw)
		if p != nil {
			v.add("fields."+name, p.key, p.args...)
			continue
		}
		if val != nil {
			out[name] = val
		}
	}
	for _, f := range def.Fields {
		if _, ok := out[f.Name]; ok || f.ActionOnly {
			continue
		}
		if f.Default != nil {
			if val, p := s.normalizeField(f, f.Default); p == nil && val != nil {
				out[f.Name] = val
				continue
			}
		}
		if f.Required {
			v.add("fields."+f.Name, "field.required")
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// actionFields validates the fields an action sets and writes them into
// fields (a copy the caller owns). A null value clears a field. It returns
// what was set, for the timeline.
func (s *Service) actionFields(def *workflow.Definition, a workflow.Action, fields map[string]any, in map[string]any, v *ValidationError) map[string]any {
	set := map[string]any{}
	for name, raw := range in {
		f, ok := def.Field(name)
		switch {
		case !ok:
			v.add("fields."+name, "field.unknown_field")
			continue
		case !a.Sets(name):
			v.add("fields."+name, "field.not_settable")
			continue
		}
		val, p := s.normalizeField(f, raw)
		if p != nil {
			v.add("fields."+name, p.key, p.args...)
			continue
		}
		if val == nil {
			delete(fields, name)
		} else {
			fields[name] = val
		}
		set[name] = val
	}
	if len(set) == 0 {
		return nil
	}
	return set
}

// normalizeField checks one value against its field and returns its stored
// form: strings trimmed, numbers as json.Number (money with two decimals),
// dates as YYYY-MM-DD. An empty value (nil, "") is returned as nil.
func (s *Service) normalizeField(f workflow.Field, raw any) (any, *fieldProblem) {
	if raw == nil {
		return nil, nil
	}
	if str, ok := raw.(string); ok && strings.TrimSpace(str) == "" && f.Type != workflow.FieldMoney {
		return nil, nil
	}
	bad := func(key string, args ...any) (any, *fieldProblem) { return nil, &fieldProblem{key, args} }
	switch f.Type {
	case workflow.FieldString, workflow.FieldText:
		str, ok := raw.(string)
		if !ok {
			return bad("field.wrong_type")
		}
		str = strings.TrimSpace(str)
		limit := f.MaxLen
		if limit == 0 {
			limit = maxStringField
			if f.Type == workflow.FieldText {
				limit = maxTextField
			}
		}
		if utf8.RuneCountInString(str) > limit {
			return bad("field.too_long", limit)
		}
		if f.Type == workflow.FieldString && strings.ContainsAny(str, "\r\n") {
			return bad("field.one_line")
		}
		return str, nil
	case workflow.FieldEnum:
		str, ok := raw.(string)
		if !ok {
			return bad("field.wrong_type")
		}
		if _, ok := f.Value(str); !ok {
			return bad("field.bad_enum")
		}
		return str, nil
	case workflow.FieldBool:
		b, ok := raw.(bool)
		if !ok {
			return bad("field.wrong_type")
		}
		return b, nil
	case workflow.FieldDate:
		str, ok := raw.(string)
		if !ok {
			return bad("field.wrong_type")
		}
		d, err := calendar.ParseDate(strings.TrimSpace(str))
		if err != nil {
			return bad("field.bad_date")
		}
		return d.String(), nil
	case workflow.FieldInt, workflow.FieldUnit:
		_, x, ok := number(raw)
		if !ok {
			return bad("field.wrong_type")
		}
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return bad("field.not_integer")
		}
		if f.Type == workflow.FieldUnit {
			if _, ok := s.Ref().Org[int64(x)]; !ok {
				return bad("field.unknown_unit")
			}
		} else if p := checkRange(f, x); p != nil {
			return nil, p
		}
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case workflow.FieldDecimal:
		_, x, ok := number(raw)
		if !ok {
			return bad("field.wrong_type")
		}
		if p := checkRange(f, x); p != nil {
			return nil, p
		}
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64)), nil
	case workflow.FieldMoney:
		return money(f, raw)
	case workflow.FieldList:
		list, ok := raw.([]any)
		if !ok {
			return bad("field.wrong_type")
		}
		limit := f.MaxItems
		if limit == 0 {
			limit = maxListItems
		}
		if len(list) > limit {
			return bad("field.too_many", limit)
		}
		out := make([]any, 0, len(list))
		for i, item := range list {
			m, ok := item.(map[string]any)
			if !ok {
				return bad("field.item_wrong_type", i+1)
			}
			norm := map[string]any{}
			for k, rv := range m {
				var itf *workflow.Field
				for j := range f.Items {
					if f.Items[j].Name == k {
						itf = &f.Items[j]
					}
				}
				if itf == nil {
					return bad("field.item_unknown", i+1, k)
				}
				val, p := s.normalizeField(*itf, rv)
				if p != nil {
					return bad("field.item_invalid", i+1, itf.Label)
				}
				if val != nil {
					norm[k] = val
				}
			}
			for _, it := range f.Items {
				if _, ok := norm[it.Name]; !ok && it.Required {
					return bad("field.item_missing", i+1, it.Label)
				}
			}
			out = append(out, norm)
		}
		return out, nil
	}
	return bad("field.wrong_type")
}

// number reads a JSON number (json.Number or float64) or a Go integer.
func number(raw any) (string, float64, bool) {
	var text string
	switch n := raw.(type) {
	case json.Number:
		text = string(n)
	case float64:
		text = strconv.FormatFloat(n, 'f', -1, 64)
	case int:
		text = strconv.Itoa(n)
	case int64:
		text = strconv.FormatInt(n, 10)
	default:
		return "", 0, false
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return "", 0, false
	}
	return text, x, true
}

func checkRange(f workflow.Field, x float64) *fieldProblem {
	if f.Min != nil && x < *f.Min {
		return &fieldProblem{"field.min", []any{trimFloat(*f.Min)}}
	}
	if f.Max != nil && x > *f.Max {
		return &fieldProblem{"field.max", []any{trimFloat(*f.Max)}}
	}
	return nil
}

func trimFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// money accepts yuan as a number or a numeric string with at most two
// decimals and stores it as an exact decimal with two, e.g. 14790000.00.
func money(f workflow.Field, raw any) (any, *fieldProblem) {
	var text string
	switch n := raw.(type) {
	case json.Number:
		text = string(n)
	case float64:
		text = strconv.FormatFloat(n, 'f', -1, 64)
	case int:
		text = strconv.Itoa(n)
	case int64:
		text = strconv.FormatInt(n, 10)
	case string:
		text = strings.TrimSpace(n)
	default:
		return nil, &fieldProblem{"field.wrong_type", nil}
	}
	whole, frac, _ := strings.Cut(text, ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return nil, &fieldProblem{"field.bad_money", nil}
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || x > maxMoney {
		return nil, &fieldProblem{"field.bad_money", nil}
	}
	if p := checkRange(f, x); p != nil {
		return nil, p
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	return json.Number(whole + "." + (frac + "00")[:2]), nil
}
