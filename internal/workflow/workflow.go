// Package workflow holds case types as data: each definition names its
// states, its actions (from which states, to which, by which roles, with
// which required fields) and where the handling clock starts and stops.
// Definitions are embedded JSON files, checked for consistency on load.
package workflow

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/yiwang-gov/yiwang/internal/model"
)

//go:embed defs/*.json
var defs embed.FS

// Definition is one case type's workflow.
type Definition struct {
	Type    string     `json:"type"`
	Version int        `json:"version"`
	Name    string     `json:"name"`
	NameEn  string     `json:"name_en"`
	Initial string     `json:"initial"`
	States  []StateDef `json:"states"`
	Actions []Action   `json:"actions"`
}

// StateDef describes a state. Clock says whether the handling clock runs
// while a case is in it.
type StateDef struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	LabelEn  string `json:"label_en"`
	Terminal bool   `json:"terminal,omitempty"`
	Clock    bool   `json:"clock,omitempty"`
}

// Action is a transition. When Results is set the action takes a "result"
// field and the result picks the target state; otherwise To is the target
// ("" keeps the state, as a follow-up call on a closed case does).
type Action struct {
	Name     string            `json:"name"`
	Label    string            `json:"label"`
	LabelEn  string            `json:"label_en"`
	From     []string          `json:"from"`
	To       string            `json:"to,omitempty"`
	Results  map[string]string `json:"results,omitempty"`
	Roles    []string          `json:"roles"`
	Requires []string          `json:"requires,omitempty"`
	// StartsClock sets the handling deadline (dispatch).
	StartsClock bool `json:"starts_clock,omitempty"`
}

// Fields an action may require.
var knownFields = []string{"note", "unit", "result", "evidence", "master"}

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

// Parse reads and checks one definition.
func Parse(data []byte) (*Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("workflow: %w", err)
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Check refuses an inconsistent definition: unknown states or roles in an
// action, unknown required fields, and states no path reaches.
func (d *Definition) Check() error {
	var errs []error
	if d.Type == "" || d.Version < 1 {
		errs = append(errs, fmt.Errorf("type and a version ≥ 1 are required"))
	}
	states := map[string]bool{}
	for _, s := range d.States {
		if states[s.Name] {
			errs = append(errs, fmt.Errorf("state %q defined twice", s.Name))
		}
		states[s.Name] = true
	}
	if !states[d.Initial] {
		errs = append(errs, fmt.Errorf("initial state %q is not defined", d.Initial))
	}
	names := map[string]bool{}
	for _, a := range d.Actions {
		if names[a.Name] {
			errs = append(errs, fmt.Errorf("action %q defined twice", a.Name))
		}
		names[a.Name] = true
		if len(a.From) == 0 {
			errs = append(errs, fmt.Errorf("action %q has no from state", a.Name))
		}
		for _, f := range a.From {
			if !states[f] {
				errs = append(errs, fmt.Errorf("action %q: from state %q is not defined", a.Name, f))
			}
		}
		if a.To != "" && !states[a.To] {
			errs = append(errs, fmt.Errorf("action %q: to state %q is not defined", a.Name, a.To))
		}
		if a.To != "" && len(a.Results) > 0 {
			errs = append(errs, fmt.Errorf("action %q: give either to or results, not both", a.Name))
		}
		for r, to := range a.Results {
			if !states[to] {
				errs = append(errs, fmt.Errorf("action %q: result %q goes to undefined state %q", a.Name, r, to))
			}
		}
		if len(a.Roles) == 0 {
			errs = append(errs, fmt.Errorf("action %q allows no role", a.Name))
		}
		for _, r := range a.Roles {
			if !model.Role(r).Valid() {
				errs = append(errs, fmt.Errorf("action %q: role %q does not exist", a.Name, r))
			}
		}
		for _, f := range a.Requires {
			if !slices.Contains(knownFields, f) {
				errs = append(errs, fmt.Errorf("action %q: unknown required field %q", a.Name, f))
			}
		}
	}
	// Every state must be reachable from the initial one.
	reach := map[string]bool{d.Initial: true}
	for changed := true; changed; {
		changed = false
		for _, a := range d.Actions {
			if !slices.ContainsFunc(a.From, func(f string) bool { return reach[f] }) {
				continue
			}
			for _, to := range a.targets() {
				if states[to] && !reach[to] {
					reach[to], changed = true, true
				}
			}
		}
	}
	for _, s := range d.States {
		if !reach[s.Name] {
			errs = append(errs, fmt.Errorf("state %q cannot be reached from %q", s.Name, d.Initial))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("workflow %s v%d: %w", d.Type, d.Version, errors.Join(errs...))
	}
	return nil
}

func (a Action) targets() []string {
	if len(a.Results) == 0 {
		if a.To == "" {
			return nil
		}
		return []string{a.To}
	}
	out := make([]string, 0, len(a.Results))
	for _, to := range a.Results {
		out = append(out, to)
	}
	sort.Strings(out)
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

// Allows reports whether role may take the action (ignoring state).
func (a Action) Allows(role model.Role) bool { return slices.Contains(a.Roles, string(role)) }

// Needs reports whether the action requires field f.
func (a Action) Needs(f string) bool { return slices.Contains(a.Requires, f) }

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
// version they started with, so older versions stay loaded.
type Registry struct {
	byType map[string]map[int]*Definition
}

// Default loads the embedded definitions.
func Default() (*Registry, error) {
	entries, err := defs.ReadDir("defs")
	if err != nil {
		return nil, err
	}
	r := &Registry{byType: map[string]map[int]*Definition{}}
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

// Add registers a definition; a type/version already present is refused.
func (r *Registry) Add(d *Definition) error {
	if r.byType[d.Type] == nil {
		r.byType[d.Type] = map[int]*Definition{}
	}
	if _, dup := r.byType[d.Type][d.Version]; dup {
		return fmt.Errorf("workflow %s v%d is already loaded", d.Type, d.Version)
	}
	r.byType[d.Type][d.Version] = d
	return nil
}

// Latest returns the newest version of a type.
func (r *Registry) Latest(typ string) (*Definition, bool) {
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
	d, ok := r.byType[typ][version]
	return d, ok
}

// Types lists the loaded case types.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.byType))
	for t := range r.byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
