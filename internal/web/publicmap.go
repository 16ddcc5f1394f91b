package web

import "net/http"

// publicMap is the public map of the unit grids with the figures by
// street: no case markers (a report's place can say who reported it).
func (w *Web) publicMap(rw http.ResponseWriter, r *http.Request, q *req) {
	v, err := w.figuresView(r.Context())
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.map.title", "map")
	p.Map = true
	p.Data = v
	w.render(rw, r, http.StatusOK, "map", p)
}
