package httpapi

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// ledgerExport serves GET /api/v1/stats/ledgers/{kind}?format=xlsx|csv:
// the 问题整改台账 (kind rectification) or 问题线索台账 (kind clue) of the
// cases taken in within the range, in the usual column layout — the same
// layout the import reads.
func (a *API) ledgerExport(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "xlsx"
	}
	if format != "xlsx" && format != "csv" {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"format": {Key: "field.unknown_value"}})
		return
	}
	t, err := a.svc.LedgerTable(r.Context(), user(r), r.PathValue("kind"), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeTable(w, r, t, format)
}
