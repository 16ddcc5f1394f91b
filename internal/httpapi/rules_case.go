package httpapi

import (
	"math"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// caseRouting serves GET /api/v1/cases/{id}/routing: why the case went to
// its unit — "routed by rule R" with the rule as it stood when the case was
// created, its lead and co-units; or the component (部件) whose maintaining
// unit it is; or the category default or 属地.
func (a *API) caseRouting(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	c, _, err := a.svc.Case(r.Context(), user(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ex, err := a.svc.ExplainRouting(r.Context(), c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ref := a.svc.Ref()
	co := []any{}
	for _, u := range ex.CoUnitIDs {
		co = append(co, orgRef(ref.Org[u]))
	}
	v := map[string]any{
		"case_id": c.ID, "how": ex.How, "routing": c.Routing, "lead_unit": orgRef(ref.Org[ex.Lead]), "co_units": co,
		"fallback": ex.Fallback, "recorded": ex.Recorded, "label": "",
	}
	if key := "geo.routing." + ex.How; a.i18n.Has(key) {
		v["label"] = a.i18n.T(lang(r), key)
	}
	if ex.GridVersion != 0 {
		v["grid_version"] = ex.GridVersion
	}
	if ex.Rule != nil {
		rv := a.ruleView(ex.Rule.Rule)
		rv["version"] = ex.Rule.Version
		v["rule"] = rv
		v["label"] = a.i18n.T(lang(r), "geo.routing.rule_n", ex.RuleID)
	} else if ex.RuleID != 0 {
		v["rule"] = map[string]any{"id": ex.RuleID}
		v["label"] = a.i18n.T(lang(r), "geo.routing.rule_n", ex.RuleID)
	}
	if ex.Component != nil {
		cm := ex.Component
		v["component"] = map[string]any{"code": cm.Code, "name": cm.Name, "maintainer": orgRef(ref.Org[cm.MaintainerUnitID]),
			"owner": orgRef(ref.Org[cm.OwnerUnitID]), "distance_m": math.Round(ex.ComponentM*10) / 10}
	}
	writeJSON(w, http.StatusOK, v)
}
