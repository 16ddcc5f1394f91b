package httpapi

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats/briefing"
)

// statsBriefing serves GET /api/v1/stats/briefing?format=html|md|txt|json:
// the 成效通报 of the range and area. HTML is a standalone page with SVG
// charts that prints to A4.
func (a *API) statsBriefing(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "html", "md", "markdown", "txt", "json":
	default:
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"format": {Key: "field.unknown_value"}})
		return
	}
	d, err := a.svc.StatsBriefing(r.Context(), user(r), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch format {
	case "md", "markdown":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Write([]byte(briefing.Markdown(d)))
	case "txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(briefing.Text(d)))
	case "json":
		writeJSON(w, http.StatusOK, map[string]any{"title": d.Title, "sections": briefing.Sections(d), "text": briefing.Text(d)})
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		w.Write([]byte(briefing.HTML(d)))
	}
}
