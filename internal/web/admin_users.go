package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// The staff accounts (用户与角色): the list, an add form, and per account
// a password reset, disabling or enabling, and a move to another org unit
// (调动). A password, typed or generated, is shown once in the answer to
// the POST (never in an address, a log or the audit entry, and never put
// back into the form); only its argon2id hash is stored.
//
// The move form is opened per account by a link (?move=ID) rather than
// written into every row: a grid worker's select lists every unit grid
// (some 400 in the demo district), and one per grid-worker row would make
// the page megabytes long.

const usersPath = "/admin/users"

type userRow struct {
	ID                        int64
	Username, Name, Role, Org string
	Disabled                  bool
	Self                      bool // the administrator looking at the page: no disable button
}

// moveForm is the move (调动) form of one account: the orgs that fit its
// role, the current one or the submitted one selected.
type moveForm struct {
	ID                        int64
	Username, Name, Role, Org string // Org: the account's unit now
	Selected                  string
	Error                     string
	Hint                      string
	Groups                    []orgGroup
}

// userForm is the add form, blank or as submitted with its errors. The
// password is not kept: a typed secret is not echoed into a page.
type userForm struct {
	Username, Name, Role, Org string
	Errors                    map[string]string
}

// newPassword is what the answer to an add or a reset shows, once.
type newPassword struct {
	Username, Name, Role string
	Password             string
	Generated            bool // false when the administrator typed it
	Reset                bool
	TOTP                 bool // the role needs a second factor outside demo mode
}

type orgOption struct {
	ID    int64
	Label string
}

type orgGroup struct {
	Label   string
	Options []orgOption
}

type roleOption struct{ Value, Label string }

type usersView struct {
	Rows   []userRow
	Form   userForm
	New    *newPassword
	Roles  []roleOption
	Groups []orgGroup
	Done   string // what a disable, an enable or a move did
	Move   *moveForm

	moveID, movedID int64 // from the address: the account to move, the one moved
	moveOrg         string
	moveErr         string
}

// adminUsers lists the accounts by role, with the add form.
func (w *Web) adminUsers(rw http.ResponseWriter, r *http.Request, q *req) {
	v := usersView{}
	v.moveID, _ = strconv.ParseInt(r.URL.Query().Get("move"), 10, 64)
	v.movedID, _ = strconv.ParseInt(r.URL.Query().Get("moved"), 10, 64)
	w.usersPage(rw, r, q, http.StatusOK, v)
}

// adminUserOrg moves an account to another org unit (调动) and sends the
// browser back to the list, which confirms the move. A refused org comes
// back on the move form with a 422 and nothing written.
func (w *Web) adminUserOrg(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	orgValue := strings.TrimSpace(r.PostFormValue("org"))
	rec := audit.FromContext(r.Context())
	rec.Detail = "user org id=" + strconv.FormatInt(id, 10) + " org=" + orgValue
	org, _ := strconv.ParseInt(orgValue, 10, 64) // not a number: 0, which the service refuses as unknown
	u, err := w.svc.AdminSetUserOrg(r.Context(), q.user, id, org)
	if err != nil {
		var ve *service.ValidationError
		if !errors.As(err, &ve) {
			w.fail(rw, r, q, err)
			return
		}
		msg := w.i18n.T(q.lang, "field.required")
		if fe, ok := ve.Fields["org"]; ok && orgValue != "" {
			msg = w.i18n.T(q.lang, fe.Key, fe.Args...)
		}
		w.usersPage(rw, r, q, http.StatusUnprocessableEntity, usersView{moveID: id, moveOrg: orgValue, moveErr: msg})
		return
	}
	rec.Detail += " username=" + u.Username
	w.redirect(rw, r, usersPath+"?moved="+strconv.FormatInt(u.ID, 10))
}

// adminUserAdd creates an account from the form and shows its password once.
func (w *Web) adminUserAdd(rw http.ResponseWriter, r *http.Request, q *req) {
	f := userForm{Username: r.PostFormValue("username"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: r.PostFormValue("role"), Org: strings.TrimSpace(r.PostFormValue("org")), Errors: map[string]string{}}
	password := r.PostFormValue("password")
	// The audit entry (written by the middleware) names the administrator
	// and the account, never the password.
	rec := audit.FromContext(r.Context())
	rec.Detail = "user add username=" + strings.TrimSpace(f.Username) + " role=" + f.Role + " org=" + f.Org
	org, _ := strconv.ParseInt(f.Org, 10, 64) // not a number: 0, which the service refuses as unknown
	pw, u, err := w.svc.AdminAddUser(r.Context(), q.user, service.NewUser{Username: f.Username, DisplayName: f.Name,
		Role: model.Role(f.Role), OrgID: org, Password: password})
	if err != nil {
		var ve *service.ValidationError
		if !errors.As(err, &ve) {
			w.fail(rw, r, q, err)
			return
		}
		f.Errors = w.userErrors(q.lang, ve, f)
		w.usersPage(rw, r, q, http.StatusUnprocessableEntity, usersView{Form: f})
		return
	}
	rec.Detail = "user add id=" + strconv.FormatInt(u.ID, 10) + " username=" + u.Username + " role=" + string(u.Role) + " org=" + strconv.FormatInt(u.OrgID, 10)
	w.usersPage(rw, r, q, http.StatusOK, usersView{New: &newPassword{Username: u.Username, Name: u.DisplayName,
		Role: w.i18n.T(q.lang, "role."+string(u.Role)), Password: pw, Generated: password == "", TOTP: needsTOTP(u.Role)}})
}

// adminUserDisabled disables (disabled=1) or enables (disabled=0) an
// account; disabling ends its sessions. The answer is the list with what
// was done.
func (w *Web) adminUserDisabled(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	disabled := r.PostFormValue("disabled") == "1"
	audit.FromContext(r.Context()).Detail = fmt.Sprintf("user disabled=%t id=%d", disabled, id)
	u, err := w.svc.AdminSetDisabled(r.Context(), q.user, id, disabled)
	if err != nil {
		var ve *service.ValidationError
		if errors.As(err, &ve) {
			w.messagePage(rw, r, q, http.StatusUnprocessableEntity, "web.admin.users", "field.self_disable")
			return
		}
		w.fail(rw, r, q, err)
		return
	}
	key := "web.users.enabled_done"
	if disabled {
		key = "web.users.disabled_done"
	}
	w.usersPage(rw, r, q, http.StatusOK, usersView{Done: w.i18n.T(q.lang, key, u.Username)})
}

// adminUserPassword gives an account a new generated password, shown once.
func (w *Web) adminUserPassword(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	rec := audit.FromContext(r.Context())
	rec.Detail = "user password reset id=" + strconv.FormatInt(id, 10)
	pw, u, err := w.svc.AdminResetPassword(r.Context(), q.user, id)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	rec.Detail += " username=" + u.Username
	w.usersPage(rw, r, q, http.StatusOK, usersView{New: &newPassword{Username: u.Username, Name: u.DisplayName,
		Role: w.i18n.T(q.lang, "role."+string(u.Role)), Password: pw, Generated: true, Reset: true, TOTP: needsTOTP(u.Role)}})
}

// needsTOTP: the roles login asks a second factor of outside demo mode
// (service.RequiresTOTP, which answers false in demo mode).
func needsTOTP(r model.Role) bool { return r == model.RoleAdmin || r == model.RoleDiscipline }

// userErrors says the service's refusal in the form's terms.
func (w *Web) userErrors(lang string, ve *service.ValidationError, f userForm) map[string]string {
	out := map[string]string{}
	for field, fe := range ve.Fields {
		switch {
		case field == "role" && f.Role == "", field == "org" && f.Org == "":
			out[field] = w.i18n.T(lang, "field.required")
		case field == "role":
			out[field] = w.i18n.T(lang, "web.users.role_unknown")
		default:
			out[field] = w.i18n.T(lang, fe.Key, fe.Args...)
		}
	}
	return out
}

// usersPage renders the list, the form and, after a POST, the password.
func (w *Web) usersPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v usersView) {
	users, err := w.svc.StaffDirectory(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	order := map[model.Role]int{}
	for i, ro := range model.Roles {
		order[ro] = i
		if ro != model.RoleCitizen { // the service refuses citizen accounts
			v.Roles = append(v.Roles, roleOption{string(ro), w.i18n.T(q.lang, "role."+string(ro))})
		}
	}
	slices.SortStableFunc(users, func(a, b model.User) int {
		if c := cmp.Compare(order[a.Role], order[b.Role]); c != 0 {
			return c
		}
		return cmp.Compare(a.Username, b.Username)
	})
	ref := w.svc.Ref()
	for _, u := range users {
		v.Rows = append(v.Rows, userRow{ID: u.ID, Username: u.Username, Name: u.DisplayName, Role: w.i18n.T(q.lang, "role."+string(u.Role)),
			Org: ref.OrgName(u.OrgID), Disabled: u.Disabled, Self: u.ID == q.user.ID})
		if u.ID == v.movedID {
			v.Done = w.i18n.T(q.lang, "web.users.moved_done", u.DisplayName, u.Username, w.orgLabel(q.lang, ref, u.OrgID))
		}
		if u.ID == v.moveID {
			m := &moveForm{ID: u.ID, Username: u.Username, Name: u.DisplayName, Role: w.i18n.T(q.lang, "role."+string(u.Role)),
				Org: w.orgLabel(q.lang, ref, u.OrgID), Selected: v.moveOrg, Error: v.moveErr, Groups: w.moveGroups(q.lang, ref, u.Role)}
			if m.Selected == "" {
				m.Selected = strconv.FormatInt(u.OrgID, 10)
			}
			m.Hint = w.i18n.T(q.lang, "web.users.move_hint_other")
			switch u.Role {
			case model.RoleGridWorker:
				m.Hint = w.i18n.T(q.lang, "web.users.move_hint_grid")
			case model.RoleUnit:
				m.Hint = w.i18n.T(q.lang, "web.users.move_hint_unit")
			}
			v.Move = m
		}
	}
	v.Groups = w.orgGroups(q.lang, ref)
	p := w.newPage(q, "web.admin.users", "admin")
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.users.not_added")
	}
	if v.moveErr != "" {
		p.Error = w.i18n.T(q.lang, "web.users.not_moved")
	}
	p.Data = v
	w.render(rw, r, status, "admin_users", p)
}

// orgGroups is the org tree for the select: the district, one group per
// street (the street, its communities, their grids) and the departments.
func (w *Web) orgGroups(lang string, ref *service.Reference) []orgGroup {
	children := map[int64][]model.OrgUnit{}
	var roots, depts []model.OrgUnit
	for _, o := range ref.OrgList() {
		switch {
		case o.Kind == model.OrgDepartment:
			depts = append(depts, o)
		case o.ParentID == 0:
			roots = append(roots, o)
		default:
			children[o.ParentID] = append(children[o.ParentID], o)
		}
	}
	label := func(o model.OrgUnit, prefix string) orgOption {
		return orgOption{o.ID, prefix + o.Name + "（" + w.i18n.T(lang, "web.kind."+string(o.Kind)) + "）"}
	}
	var out []orgGroup
	var below func(g *orgGroup, parent int64, prefix string)
	below = func(g *orgGroup, parent int64, prefix string) {
		for _, o := range children[parent] {
			g.Options = append(g.Options, label(o, prefix))
			below(g, o.ID, prefix+"· ")
		}
	}
	for _, root := range roots {
		out = append(out, orgGroup{Label: w.i18n.T(lang, "web.kind."+string(root.Kind)), Options: []orgOption{label(root, "")}})
		for _, street := range children[root.ID] {
			if street.Kind == model.OrgDepartment {
				continue
			}
			g := orgGroup{Label: street.Name, Options: []orgOption{label(street, "")}}
			below(&g, street.ID, "· ")
			out = append(out, g)
		}
	}
	if len(depts) > 0 {
		g := orgGroup{Label: w.i18n.T(lang, "web.kind.department")}
		for _, o := range depts {
			g.Options = append(g.Options, label(o, ""))
		}
		out = append(out, g)
	}
	return out
}

// orgLabel names an org unit with what it belongs to: a grid with its
// street and community (unless its name says them), a community with its
// street.
func (w *Web) orgLabel(lang string, ref *service.Reference, id int64) string {
	o, ok := ref.Org[id]
	if !ok {
		return "#" + strconv.FormatInt(id, 10)
	}
	if g, ok := ref.Grids[id]; ok {
		// Grid names usually carry their street and community already
		// (乐坪街道新星社区第01网格).
		if c := ref.OrgName(g.CommunityID); c != "" && !strings.Contains(g.Name, c) {
			return ref.OrgName(g.StreetID) + " · " + c + " · " + g.Name
		}
		return g.Name
	}
	if p, ok := ref.Org[o.ParentID]; ok && (o.Kind == model.OrgCommunity || o.Kind == model.OrgVillage) {
		return p.Name + " · " + o.Name
	}
	return o.Name
}

// moveGroups is the move form's select: only the orgs an account of role
// may belong to (service.Reference.OrgFitsRole). A grid worker's grids
// come grouped by street and community; other roles' units by kind (the
// district, streets and townships, communities and villages, departments).
func (w *Web) moveGroups(lang string, ref *service.Reference, role model.Role) []orgGroup {
	if role == model.RoleGridWorker {
		var out []orgGroup
		at := map[int64]int{} // community → its group in out
		for _, o := range ref.OrgList() {
			if o.Kind == model.OrgCommunity || o.Kind == model.OrgVillage {
				at[o.ID] = len(out)
				out = append(out, orgGroup{Label: w.orgLabel(lang, ref, o.ID)})
			}
		}
		var orphans orgGroup
		for _, g := range ref.GridList {
			if !ref.OrgFitsRole(role, g.OrgID) {
				continue
			}
			opt := orgOption{g.OrgID, g.Name + "（" + g.Code.String() + "）"}
			if i, ok := at[g.CommunityID]; ok {
				out[i].Options = append(out[i].Options, opt)
			} else {
				orphans.Options = append(orphans.Options, opt)
			}
		}
		if len(orphans.Options) > 0 {
			orphans.Label = w.i18n.T(lang, "web.kind.grid")
			out = append(out, orphans)
		}
		return slices.DeleteFunc(out, func(g orgGroup) bool { return len(g.Options) == 0 })
	}
	kinds := [][]model.OrgKind{{model.OrgDistrict}, {model.OrgStreet, model.OrgTownship}, {model.OrgCommunity, model.OrgVillage}, {model.OrgDepartment}}
	out := make([]orgGroup, len(kinds))
	for i, ks := range kinds {
		labels := make([]string, len(ks))
		for j, k := range ks {
			labels[j] = w.i18n.T(lang, "web.kind."+string(k))
		}
		out[i].Label = strings.Join(labels, " / ")
	}
	for _, o := range ref.OrgList() {
		if !ref.OrgFitsRole(role, o.ID) {
			continue
		}
		for i, ks := range kinds {
			if slices.Contains(ks, o.Kind) {
				out[i].Options = append(out[i].Options, orgOption{o.ID, w.orgLabel(lang, ref, o.ID)})
			}
		}
	}
	return slices.DeleteFunc(out, func(g orgGroup) bool { return len(g.Options) == 0 })
}
