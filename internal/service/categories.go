package service

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// CategoryInput is a category as an administrator writes it. Code, kind
// and case type are set once: cases, Open311 clients (service_code) and
// statistics refer to them. The rest may change: a changed default unit
// counts for cases filed afterwards, a changed deadline for clocks started
// afterwards (a city case's handling clock starts at dispatch); a running
// clock keeps the due time it was given.
type CategoryInput struct {
	Code          string
	Kind          model.CategoryKind
	CaseType      string
	ParentID      int64
	Name, NameEn  string
	DefaultUnitID int64 // 0: 属地, the street of the case's place
	Deadline      model.DeadlineRule
	Public        bool
}

// Bounds of a category's texts and deadline.
const (
	MaxCategoryName   = 50
	MaxCategoryNameEn = 100
)

var categoryCodeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// deadlineBounds are the amounts a deadline kind accepts.
var deadlineBounds = map[model.DeadlineKind][2]int{
	model.DeadlineUrgentHours:  {1, 720},
	model.DeadlineWorkingHours: {1, 720},
	model.DeadlineWorkingDays:  {1, 250},
	model.DeadlineNaturalDays:  {1, 365},
}

// CategoryCaseTypes lists, sorted, the case types categories may belong
// to: the category type a definition names, or the definition's own type
// when it takes categories without naming one.
func (s *Service) CategoryCaseTypes() []string {
	var out []string
	for _, d := range s.workflows.All() {
		t := d.CategoryType
		if t == "" && d.CategoryPresence() != workflow.None {
			t = d.Type
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// checkCategory validates what may change on any category: parent,
// names, default unit, deadline. id is the category being changed (0 for
// a new one).
func (s *Service) checkCategory(ref *Reference, v *ValidationError, id int64, caseType string, in CategoryInput) {
	if in.ParentID != 0 {
		p, ok := ref.Categories[in.ParentID]
		switch {
		case !ok:
			v.add("parent_id", "field.unknown_category")
		case p.CaseType != caseType:
			v.add("parent_id", "field.category_wrong_type")
		default:
			// The parent may not be the category itself or below it.
			for c, depth := in.ParentID, 0; c != 0 && depth < 64; c, depth = ref.Categories[c].ParentID, depth+1 {
				if c == id && id != 0 {
					v.add("parent_id", "field.category_cycle")
					break
				}
			}
		}
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		v.add("name", "field.required")
	case utf8.RuneCountInString(name) > MaxCategoryName:
		v.add("name", "field.too_long", MaxCategoryName)
	}
	if utf8.RuneCountInString(strings.TrimSpace(in.NameEn)) > MaxCategoryNameEn {
		v.add("name_en", "field.too_long", MaxCategoryNameEn)
	}
	if in.DefaultUnitID != 0 && !ref.Dispatchable(in.DefaultUnitID) {
		v.add("default_unit_id", "field.unknown_unit")
	}
	b, ok := deadlineBounds[in.Deadline.Kind]
	switch {
	case in.Deadline.Kind == "":
		v.add("deadline.kind", "field.required")
	case !ok:
		v.add("deadline.kind", "field.bad_enum")
	case in.Deadline.Amount < b[0] || in.Deadline.Amount > b[1]:
		v.add("deadline.amount", "field.out_of_range", b[0], b[1])
	}
}

func categoryFrom(in CategoryInput) model.Category {
	return model.Category{ParentID: in.ParentID, Code: strings.TrimSpace(in.Code), Kind: in.Kind, Name: strings.TrimSpace(in.Name),
		NameEn: strings.TrimSpace(in.NameEn), CaseType: in.CaseType, DefaultUnitID: in.DefaultUnitID, Deadline: in.Deadline, Public: in.Public}
}

// CreateCategory adds a category (administrators). A new category under
// a leaf makes that leaf a parent: cases can no longer be filed under it.
func (s *Service) CreateCategory(ctx context.Context, actor model.User, in CategoryInput) (model.Category, error) {
	if err := requireAdmin(actor); err != nil {
		return model.Category{}, err
	}
	ref := s.Ref()
	v := &ValidationError{}
	code := strings.TrimSpace(in.Code)
	switch {
	case code == "":
		v.add("code", "field.required")
	case !categoryCodeRe.MatchString(code):
		v.add("code", "field.category_code_format")
	default:
		if _, taken := ref.ByCode[code]; taken {
			v.add("code", "field.category_code_taken")
		}
	}
	switch in.Kind {
	case model.CategoryComponent, model.CategoryEvent, model.CategoryDomain:
	case "":
		v.add("kind", "field.required")
	default:
		v.add("kind", "field.bad_enum")
	}
	switch {
	case in.CaseType == "":
		v.add("case_type", "field.required")
	case !slices.Contains(s.CategoryCaseTypes(), in.CaseType):
		v.add("case_type", "field.unknown_type")
	}
	s.checkCategory(ref, v, 0, in.CaseType, in)
	if err := v.err(); err != nil {
		return model.Category{}, err
	}
	c := categoryFrom(in)
	if err := s.store.CreateCategory(ctx, &c, s.now(), actor.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return c, Invalid("code", "field.category_code_taken")
		}
		return c, err
	}
	return c, s.Reload(ctx)
}

// UpdateCategory changes a category (administrators); its earlier state
// is kept as a version. Code, kind and case type cannot change: given and
// different, they are refused on their field.
func (s *Service) UpdateCategory(ctx context.Context, actor model.User, id int64, in CategoryInput) (model.Category, error) {
	if err := requireAdmin(actor); err != nil {
		return model.Category{}, err
	}
	ref := s.Ref()
	old, ok := ref.Categories[id]
	if !ok {
		return model.Category{}, ErrNotFound
	}
	v := &ValidationError{}
	if c := strings.TrimSpace(in.Code); c != "" && c != old.Code {
		v.add("code", "field.not_changeable")
	}
	if in.Kind != "" && in.Kind != old.Kind {
		v.add("kind", "field.not_changeable")
	}
	if in.CaseType != "" && in.CaseType != old.CaseType {
		v.add("case_type", "field.not_changeable")
	}
	s.checkCategory(ref, v, id, old.CaseType, in)
	if err := v.err(); err != nil {
		return old, err
	}
	c := categoryFrom(in)
	c.ID, c.Code, c.Kind, c.CaseType = id, old.Code, old.Kind, old.CaseType
	if err := s.store.UpdateCategory(ctx, c, s.now(), actor.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return old, ErrNotFound
		}
		return old, err
	}
	return c, s.Reload(ctx)
}

// CategoryHistory returns a category's versions, oldest first
// (administrators).
func (s *Service) CategoryHistory(ctx context.Context, actor model.User, id int64) ([]store.CategoryVersion, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	if _, ok := s.Ref().Categories[id]; !ok {
		return nil, ErrNotFound
	}
	return s.store.CategoryVersions(ctx, id)
}
