package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// addWorkflow serves POST /api/v1/admin/workflows: the body is a case-type
// definition. It becomes the type's newest version; cases already open keep
// theirs. A refused definition answers 422 with every problem listed.
func (a *API) addWorkflow(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
		return
	}
	d, err := a.svc.AddWorkflow(r.Context(), user(r), data)
	var de *service.DefinitionError
	if errors.As(err, &de) {
		var b struct {
			errorBody
			Problems []string `json:"problems"`
		}
		l := lang(r)
		t := func(key string, args ...any) string { return a.i18n.T(l, key, args...) }
		b.Problems = make([]string, len(de.Problems))
		for i, p := range de.Problems {
			b.Problems[i] = p.Text(t)
		}
		b.Error.Code = "invalid_workflow"
		b.Error.Message = t("error.invalid_workflow")
		b.Error.Fields = map[string]string{"definition": strings.Join(b.Problems, "; ")}
		writeJSON(w, http.StatusUnprocessableEntity, b)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/workflows/"+d.Type)
	writeJSON(w, http.StatusCreated, d)
}

// listWorkflows serves GET /api/v1/workflows: the newest version of every
// case type the viewer may see, with its fields, states and actions, so a
// client can draw the forms.
func (a *API) listWorkflows(w http.ResponseWriter, r *http.Request) {
	u := user(r)
	out := []*workflow.Definition{}
	reg := a.svc.Workflows()
	for _, t := range reg.Types() {
		if d, ok := reg.Latest(t); ok && d.Visible(roleOrCitizen(u)) {
			out = append(out, d)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"workflows": out})
}

// getWorkflow serves GET /api/v1/workflows/{type}[?version=N].
func (a *API) getWorkflow(w http.ResponseWriter, r *http.Request) {
	reg := a.svc.Workflows()
	d, ok := reg.Latest(r.PathValue("type"))
	if v := r.URL.Query().Get("version"); v != "" && ok {
		n, err := parsePositive(v)
		if err != nil {
			a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"version": {Key: "field.wrong_type"}})
			return
		}
		d, ok = reg.Get(d.Type, int(n))
	}
	if !ok || !d.Visible(roleOrCitizen(user(r))) {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func roleOrCitizen(u model.User) model.Role {
	if u.Role == "" {
		return model.RoleCitizen
	}
	return u.Role
}

func parsePositive(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n <= 0 {
		err = strconv.ErrRange
	}
	return n, err
}
