package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

type caseView struct {
	ID           int64
	Receipt      string
	Status       string
	StatusKey    model.State
	Version      int
	Category     string
	Description  string
	Address      string
	Channel      string
	Grid         string
	GridID       int64
	Community    string
	Street       string
	Unit         string
	Routing      string
	Reporter     model.Reporter
	ShowReporter bool
	Anonymous    bool
	MasterID     int64
	Created      time.Time
	Observed     time.Time // when the reporter saw it, if earlier than filing (发现时间)
	Updated      time.Time
	Closed       time.Time
	Deadline     deadline
	Satisfaction string
	Lat, Lng     string
	Timeline     []staffEvent
	Photos       []photo
	Actions      []actionForm
}

type staffEvent struct {
	At     time.Time
	Actor  string
	Role   string
	Label  string
	To     string
	Note   string
	Unit   string
	Result string
	Photos []photo
}

type photo struct {
	URL, Label string
}

// actionForm is one action the user may take, with the fields it needs.
type actionForm struct {
	Name, Label      string
	NoteRequired     bool
	NeedUnit         bool
	Units            []optGroup
	NeedResult       bool
	Results          []option
	NeedEvidence     bool
	EvidenceRequired bool
	NeedMaster       bool
	Note, Master     string
	Result           string // the submitted result, when the form comes back
	Unit             int64  // the submitted unit, when the form comes back
	Errors           map[string]string
	Error            string
	Open             bool
	Danger           bool
}

// resultOrder puts known results in a sensible order; others follow
// alphabetically.
var resultOrder = map[string]int{"pass": 1, "fail": 2, "satisfied": 3, "basically_satisfied": 4, "dissatisfied": 5}

// caseView builds the case page's data for the user. failed, when set, is
// the action whose form comes back with its errors.
func (w *Web) caseView(q *req, c model.Case, tl []model.Event, failed *actionForm) caseView {
	ref := w.svc.Ref()
	lang := q.lang
	base := "/work/cases/" + strconv.FormatInt(c.ID, 10) + "/files/"
	v := caseView{ID: c.ID, Receipt: c.Receipt, Status: w.stateLabel(lang, c, c.Status), StatusKey: c.Status, Version: c.Version,
		Category: w.categoryName(lang, c.CategoryID), Description: c.Description, Address: c.Address,
		Channel: w.i18n.T(lang, "web.channel."+string(c.Channel)), GridID: c.GridID, Community: ref.OrgName(c.CommunityID),
		Street: ref.OrgName(c.StreetID), Unit: ref.OrgName(c.UnitID), Anonymous: c.Anonymous, MasterID: c.MasterID,
		Created: c.CreatedAt, Updated: c.UpdatedAt, Closed: c.ClosedAt, Satisfaction: w.resultLabel(lang, c.Satisfaction),
		Lat: strconv.FormatFloat(c.Lat, 'f', 6, 64), Lng: strconv.FormatFloat(c.Lng, 'f', 6, 64)}
	if g, ok := ref.Grids[c.GridID]; ok {
		v.Grid = g.Name + " (" + g.Code.String() + ")"
	}
	if len(tl) > 0 {
		v.Observed = service.ObservedAt(tl[0])
	}
	switch {
	case strings.HasPrefix(c.Routing, "rule:"):
		v.Routing = w.i18n.T(lang, "web.routing.rule")
	case c.Routing != "":
		v.Routing = w.i18n.T(lang, "web.routing."+c.Routing)
	}
	v.Reporter = service.MaskReporter(q.user, c)
	v.ShowReporter = v.Reporter != (model.Reporter{})
	v.Deadline = w.deadlineOf(lang, c, clockStart(tl), w.now())
	for _, ev := range tl {
		se := staffEvent{At: ev.At, Actor: ev.ActorName, Role: w.i18n.T(lang, "role."+string(ev.Role)),
			Label: w.eventLabel(lang, c, ev.Action), Note: ev.Note, Unit: ref.OrgName(ev.UnitID), Result: w.resultLabel(lang, ev.Result)}
		if ev.ToState != ev.FromState {
			se.To = w.stateLabel(lang, c, ev.ToState)
		}
		for _, id := range ev.Attachments {
			ph := photo{URL: base + id, Label: se.Label}
			se.Photos = append(se.Photos, ph)
			v.Photos = append(v.Photos, ph)
		}
		v.Timeline = append(v.Timeline, se)
	}
	if d := w.def(c); d != nil && w.svc.MayAct(q.user, c) {
		for _, a := range d.Available(c.Status, q.user.Role) {
			f := w.actionForm(lang, c, a)
			if failed != nil && failed.Name == a.Name {
				f.Note, f.Master, f.Errors, f.Error, f.Open = failed.Note, failed.Master, failed.Errors, failed.Error, true
				for i := range f.Results {
					f.Results[i].Selected = f.Results[i].Value == failed.Result
				}
				if f.NeedUnit && failed.Unit != 0 {
					f.Units = w.unitOptions(lang, failed.Unit)
				}
			}
			v.Actions = append(v.Actions, f)
		}
	}
	return v
}

func (w *Web) actionForm(lang string, c model.Case, a workflow.Action) actionForm {
	f := actionForm{Name: a.Name, Label: actionLabel(lang, a), NoteRequired: a.Needs("note"),
		NeedUnit: a.Name == "dispatch" || a.Needs("unit"), NeedMaster: a.Name == "merge" || a.Needs("master"),
		EvidenceRequired: a.Needs("evidence"), Danger: a.Name == "reject" || a.Name == "return" || a.Name == "park"}
	f.NeedEvidence = f.EvidenceRequired || a.Name == "report_back" || a.Name == "verify"
	if f.NeedUnit {
		f.Units = w.unitOptions(lang, c.UnitID)
	}
	if len(a.Results) > 0 {
		f.NeedResult = true
		keys := make([]string, 0, len(a.Results))
		for k := range a.Results {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			oi, oj := resultOrder[keys[i]], resultOrder[keys[j]]
			if oi == 0 {
				oi = 100
			}
			if oj == 0 {
				oj = 100
			}
			if oi != oj {
				return oi < oj
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			f.Results = append(f.Results, option{Value: k, Label: w.resultLabel(lang, k)})
		}
	}
	return f
}

// casePage shows one case with its timeline, map, photos and the forms of
// the actions the user may take.
func (w *Web) casePage(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	c, tl, err := w.svc.Case(r.Context(), q.user, id)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.case.title", "inbox")
	p.Title = w.i18n.T(q.lang, "web.case.title_id", c.ID)
	p.Map = true
	if done := r.URL.Query().Get("done"); done != "" {
		p.Flash = w.i18n.T(q.lang, "web.case.done", w.eventLabel(q.lang, c, done))
	}
	p.Data = w.caseView(q, c, tl, nil)
	w.render(rw, r, http.StatusOK, "case", p)
}
