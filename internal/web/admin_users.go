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

// The staff accounts (用户与角色): the list, an add form and a password
// reset per account. A password, typed or generated, is shown once in the
// answer to the POST (never in an address, a log or the audit entry, and
// never put back into the form); only its argon2id hash is stored.
// Disabling an account is not offered: the store cannot set the flag.

const usersPath = "/admin/users"

type userRow struct {
	ID                        int64
	Username, Name, Role, Org string
	Disabled                  bool
	Self                      bool // the administrator looking at the page: no disable button
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
	Done   string // what a disable or enable did
}

// adminUsers lists the accounts by role, with the add form.
func (w *Web) adminUsers(rw http.ResponseWriter, r *http.Request, q *req) {
	w.usersPage(rw, r, q, http.StatusOK, usersView{})
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
	}
	v.Groups = w.orgGroups(q.lang, ref)
	p := w.newPage(q, "web.admin.users", "admin")
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.users.not_added")
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
