package stats

import (
	"slices"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// Roles is what each action and state of a case type means to the
// statistics. It is derived from the workflow definition by fixed rules
// (docs/STATISTICS.md lists them and what they give for each built-in
// type), so a case type an administrator adds is counted the same way.
type Roles struct {
	Type    string
	Version int
	// Register is the action that registers (立案) a case taken in in the
	// initial state: an action leaving the initial state for a working
	// state with no built-in effect (city_case and hotline_order "accept").
	// Empty: the case is registered when it is created.
	Register string
	// Dispatch actions carry the dispatch effect (派遣/派单/交办/转出).
	Dispatch []string
	// Return actions carry the return or decline effect (退单/退回/拒收).
	Return []string
	// Sign actions leave a dispatch target state for a working state
	// (签收, or 接收 for referrals and consultations).
	Sign []string
	// Handle actions report the work done (处置反馈, 答复, 完工, 办结 ...).
	Handle []string
	// Rework: results of actions with results that send the case back to
	// a state a handle action starts from (核查不通过, 回访不满意 ...);
	// action → results.
	Rework map[string][]string
	// Extension actions carry the extension-decision effect; the approved
	// result counts.
	Extension []string
	// Timely is the bool case field recording whether the case was signed
	// for in time (12345 responded_on_time), when the type keeps one.
	Timely string
	// RegisterRule and ResponseRule are the type's own acceptance and
	// response clocks when it has them (hotline_order: 2 working hours).
	RegisterRule, ResponseRule *model.DeadlineRule
	// Void are the terminal states other than closed (rejected, merged,
	// cancelled); Parked the states of cases set aside (挂账, 长期整改,
	// 暂缓, 暂存待查).
	Void, Parked []string
	// Subtype is the enum field that splits the type for reports
	// (referral direction, consultation mode ...), "" if none.
	Subtype string
}

// Closed is the state every case type uses for a successful end.
const Closed = "closed"

// parkedNames are the states that set a case aside.
var parkedNames = []string{"parked", "long_term", "suspended", "shelved"}

// subtypeFields names, by type, the enum field reports split the type by.
// Types not listed use their first required enum field.
var subtypeFields = map[string]string{
	"referral":      "direction",
	"consultation":  "mode",
	"hotline_order": "appeal_kind",
	"project":       "project_kind",
	"clue":          "source",
	"rectification": "problem_source",
	"finding":       "source_step",
}

// handleNames are action names that report work done.
var handleNames = []string{"report_back", "reply", "complete", "conclude", "answer"}

// Classify derives the statistical roles of a definition.
func Classify(d *workflow.Definition) Roles {
	r := Roles{Type: d.Type, Version: d.Version, Rework: map[string][]string{}}
	terminal := map[string]bool{}
	for _, s := range d.States {
		if s.Terminal {
			terminal[s.Name] = true
			if s.Name != Closed {
				r.Void = append(r.Void, s.Name)
			}
		}
		if slices.Contains(parkedNames, s.Name) {
			r.Parked = append(r.Parked, s.Name)
		}
	}
	working := func(state string) bool {
		return state != "" && !terminal[state] && !slices.Contains(r.Parked, state)
	}
	dispatchTargets := map[string]bool{}
	for _, a := range d.Actions {
		switch a.Effect {
		case workflow.EffectDispatch:
			r.Dispatch = append(r.Dispatch, a.Name)
			if a.To != "" {
				dispatchTargets[a.To] = true
			}
		case workflow.EffectReturn, workflow.EffectDecline:
			r.Return = append(r.Return, a.Name)
		case workflow.EffectExtensionDecision:
			r.Extension = append(r.Extension, a.Name)
		}
		if slices.Contains(handleNames, a.Name) {
			r.Handle = append(r.Handle, a.Name)
		}
	}
	for _, a := range d.Actions {
		if r.Register == "" && a.Effect == "" && len(a.Results) == 0 && slices.Contains(a.From, d.Initial) && working(a.To) && a.To != d.Initial {
			r.Register = a.Name
		}
		if a.Effect == "" && len(a.Results) == 0 && working(a.To) && anyIn(a.From, dispatchTargets) && !dispatchTargets[a.To] {
			r.Sign = append(r.Sign, a.Name)
			if a.Timely != nil && r.Timely == "" {
				r.Timely = a.Timely.Field
			}
		}
	}
	// States a handle action starts from: going back to one of them after a
	// result is rework.
	handleFrom, handleTo := map[string]bool{}, map[string]bool{}
	for _, a := range d.Actions {
		if slices.Contains(r.Handle, a.Name) {
			for _, f := range a.From {
				handleFrom[f] = true
			}
			handleTo[a.To] = true
		}
	}
	for _, a := range d.Actions {
		// Only a judgement on handled work (核查, 验收, 回访) can send it back.
		if a.Effect == workflow.EffectExtensionDecision || !anyIn(a.From, handleTo) {
			continue
		}
		for _, res := range sortedResults(a.Results) {
			to := a.Results[res]
			if to != "" && handleFrom[to] && !slices.Contains(a.From, to) {
				r.Rework[a.Name] = append(r.Rework[a.Name], res)
			}
		}
	}
	for _, c := range d.Clocks {
		rule, ok := c.Rule.Fallback()
		if !ok || c.Rule.From != "" {
			continue
		}
		if len(c.States) == 1 && c.States[0] == d.Initial && slices.Contains(c.StartOn, "create") && r.RegisterRule == nil {
			rr := rule
			r.RegisterRule = &rr
		}
		if len(c.States) == 1 && dispatchTargets[c.States[0]] && !c.Primary && r.ResponseRule == nil {
			rr := rule
			r.ResponseRule = &rr
		}
	}
	if f, ok := subtypeFields[d.Type]; ok {
		if _, ok := d.Field(f); ok {
			r.Subtype = f
		}
	}
	if r.Subtype == "" {
		for _, f := range d.Fields {
			if f.Type == workflow.FieldEnum && f.Required {
				r.Subtype = f.Name
				break
			}
		}
	}
	return r
}

func anyIn(xs []string, set map[string]bool) bool {
	for _, x := range xs {
		if set[x] {
			return true
		}
	}
	return false
}

func sortedResults(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// IsRework reports whether an action with its result is rework.
func (r Roles) IsRework(action, result string) bool {
	return slices.Contains(r.Rework[action], result)
}

// Classifier gives the roles of every loaded definition.
type Classifier struct {
	reg   *workflow.Registry
	roles map[[2]any]Roles
}

// NewClassifier classifies every definition in reg. Definitions added to
// reg later are classified on first use.
func NewClassifier(reg *workflow.Registry) *Classifier {
	c := &Classifier{reg: reg, roles: map[[2]any]Roles{}}
	for _, d := range reg.All() {
		c.roles[[2]any{d.Type, d.Version}] = Classify(d)
	}
	return c
}

// Roles returns the roles of a type at a version, and the definition.
func (c *Classifier) Roles(typ string, version int) (Roles, *workflow.Definition, bool) {
	d, ok := c.reg.Get(typ, version)
	if !ok {
		d, ok = c.reg.Latest(typ)
		if !ok {
			return Roles{}, nil, false
		}
	}
	if r, ok := c.roles[[2]any{d.Type, d.Version}]; ok {
		return r, d, true
	}
	return Classify(d), d, true
}
