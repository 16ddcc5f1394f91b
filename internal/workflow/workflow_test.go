package workflow

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// TestShippedDefinitions loads every embedded case type and checks the
// properties the rest of the system relies on.
func TestShippedDefinitions(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"city_case", "clue", "consultation", "finding", "hotline_order", "project", "rectification", "referral"}
	if got := r.Types(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("types %v, want %v", got, want)
	}
	for _, d := range r.All() {
		// Every type closes in a state named closed (stats count it) and
		// every action with a role also names a label for the screens.
		if !d.Terminal("closed") {
			t.Errorf("%s: no terminal state closed", d.Type)
		}
		for _, a := range d.Actions {
			if a.Label == "" || a.LabelEn == "" {
				t.Errorf("%s.%s: labels missing", d.Type, a.Name)
			}
		}
		if _, ok := d.PrimaryClock(); !ok {
			t.Errorf("%s: no primary clock", d.Type)
		}
	}
	clue, _ := r.Latest("clue")
	for _, role := range model.Roles {
		if clue.Visible(role) != (role == model.RoleDiscipline) {
			t.Errorf("clue visible to %s: %v", role, clue.Visible(role))
		}
	}
	// The four dispositions of a discipline clue.
	f, _ := clue.Field("disposition")
	var vals []string
	for _, v := range f.Values {
		vals = append(vals, v.Label)
	}
	if strings.Join(vals, "、") != "谈话函询、初步核实、暂存待查、予以了结" {
		t.Errorf("dispositions %v", vals)
	}
}

func mustCity(t *testing.T) Definition {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := r.Latest("city_case")
	// A deep copy through JSON, so tests may break it freely.
	b, _ := json.Marshal(d)
	var c Definition
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCheckRefuses breaks the city case definition in the ways an
// administrator might and checks each is refused with a message naming it.
func TestCheckRefuses(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(d *Definition)
		want   string
	}{
		{"unreachable state", func(d *Definition) {
			d.States = append(d.States, StateDef{Name: "limbo", Label: "悬空", Terminal: true})
		}, `state "limbo" cannot be reached`},
		{"action to an unknown state", func(d *Definition) { d.Actions[0].To = "nowhere" }, `to state "nowhere" is not defined`},
		{"action from an unknown state", func(d *Definition) { d.Actions[0].From = []string{"void"} }, `from state "void" is not defined`},
		{"unknown role", func(d *Definition) { d.Actions[0].Roles = []string{"mayor"} }, `role "mayor" does not exist`},
		{"unknown required field", func(d *Definition) { d.Actions[1].Requires = []string{"photo"} }, `requires unknown field "photo"`},
		{"unknown field set", func(d *Definition) { d.Actions[1].Fields = []string{"photo"} }, `sets unknown field "photo"`},
		{"unknown effect", func(d *Definition) { d.Actions[0].Effect = "teleport" }, `unknown effect "teleport"`},
		{"dead end", func(d *Definition) {
			// Only the leader's instruction (which keeps the state) is left.
			for i := range d.Actions {
				if d.Actions[i].Name == "reopen" || d.Actions[i].Name == "cancel" {
					d.Actions[i].From = slices.DeleteFunc(d.Actions[i].From, func(s string) bool { return s == "parked" })
				}
			}
		}, `state "parked" is a dead end`},
		{"clock in an unknown state", func(d *Definition) { d.Clocks[0].States = append(d.Clocks[0].States, "someday") }, `runs in unknown state "someday"`},
		{"clock starting on an unknown action", func(d *Definition) { d.Clocks[0].StartOn = []string{"launch"} }, `starts on unknown action "launch"`},
		{"extension beyond a year", func(d *Definition) {
			for i := range d.Actions {
				if d.Actions[i].Effect == EffectExtensionRequest {
					d.Actions[i].MaxDays = 400
				}
			}
		}, "max_days must be between 1 and 365"},
		{"unknown field type", func(d *Definition) {
			d.Fields = append(d.Fields, Field{Name: "size", Label: "大小", Type: "colour"})
		}, `unknown type "colour"`},
		{"enum without values", func(d *Definition) {
			d.Fields = append(d.Fields, Field{Name: "level", Label: "等级", Type: FieldEnum})
		}, "values are required for an enum"},
		{"field named like an input", func(d *Definition) {
			d.Fields = append(d.Fields, Field{Name: "note", Label: "备注", Type: FieldText})
		}, "reserved"},
		{"two primary clocks", func(d *Definition) {
			c := d.Clocks[0]
			c.Name = "other"
			d.Clocks = append(d.Clocks, c)
		}, "at most one may be"},
		{"unknown create role", func(d *Definition) { d.CreateRoles = []string{"everyone"} }, `create_roles: role "everyone" does not exist`},
		{"result field that is no enum", func(d *Definition) {
			d.Fields = append(d.Fields, Field{Name: "outcome", Label: "结果", Type: FieldText})
			for i := range d.Actions {
				if d.Actions[i].Name == "verify" {
					d.Actions[i].ResultField = "outcome"
				}
			}
		}, `result_field "outcome" must be an enum`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := mustCity(t)
			c.break_(&d)
			err := d.Check()
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("accepted, want refusal with %q (err %v)", c.want, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
			// Round trip through Parse too: the JSON an administrator sends.
			b, _ := json.Marshal(&d)
			if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
	// Unknown keys are refused, not ignored.
	if _, err := Parse([]byte(`{"type":"x","version":1,"name":"x","initial":"a","states":[{"name":"a","label":"a","terminal":true}],"actions":[],"deadline":3}`)); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestTransitionAndRegistry(t *testing.T) {
	d := mustCity(t)
	if to, err := d.Transition("handling", "request_extension", model.RoleUnit, ""); err != nil || to != "handling" {
		t.Fatalf("request_extension stays: %v %v", to, err)
	}
	if to, err := d.Transition("handling", "decide_extension", model.RoleSupervisor, Approved); err != nil || to != "handling" {
		t.Fatalf("decide_extension stays: %v %v", to, err)
	}
	if _, err := d.Transition("handling", "decide_extension", model.RoleUnit, Approved); !errors.Is(err, ErrRole) {
		t.Fatalf("unit decides: %v", err)
	}
	r := NewRegistry()
	if err := r.Add(&d); err != nil {
		t.Fatal(err)
	}
	// The same content again is fine (two services sharing a registry);
	// other content under the same version is not.
	same := mustCity(t)
	if err := r.Add(&same); err != nil {
		t.Fatalf("same content: %v", err)
	}
	other := mustCity(t)
	other.Name = "改过的"
	if err := r.Add(&other); !errors.Is(err, ErrVersionTaken) {
		t.Fatalf("different content: %v", err)
	}
	other.Version = 2
	if err := r.Add(&other); err != nil {
		t.Fatal(err)
	}
	if l, _ := r.Latest("city_case"); l.Version != 2 {
		t.Fatalf("latest %d", l.Version)
	}
	if old, ok := r.Get("city_case", 1); !ok || old.Name != "数字城管案卷" {
		t.Fatal("version 1 lost")
	}
}
