package web

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/yiwang-gov/yiwang/internal/model"
)

type userRow struct {
	Username, Name, Role, Org string
	Disabled                  bool
}

// adminUsers lists the accounts by role.
func (w *Web) adminUsers(rw http.ResponseWriter, r *http.Request, q *req) {
	users, err := w.svc.StaffDirectory(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	order := map[model.Role]int{}
	for i, ro := range model.Roles {
		order[ro] = i
	}
	slices.SortStableFunc(users, func(a, b model.User) int {
		if c := cmp.Compare(order[a.Role], order[b.Role]); c != 0 {
			return c
		}
		return cmp.Compare(a.Username, b.Username)
	})
	ref := w.svc.Ref()
	rows := make([]userRow, 0, len(users))
	for _, u := range users {
		rows = append(rows, userRow{Username: u.Username, Name: u.DisplayName, Role: w.i18n.T(q.lang, "role."+string(u.Role)),
			Org: ref.OrgName(u.OrgID), Disabled: u.Disabled})
	}
	p := w.newPage(q, "web.admin.users", "admin")
	p.Data = rows
	w.render(rw, r, http.StatusOK, "admin_users", p)
}
