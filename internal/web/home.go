package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// figuresCache keeps the public figures for a minute: the home page and the
// public map are the most visited pages and the counts move slowly.
type figuresCache struct {
	mu   sync.Mutex
	at   time.Time
	rows []service.StreetFigure
}

func (w *Web) publicFigures(ctx context.Context) ([]service.StreetFigure, time.Time, error) {
	w.figures.mu.Lock()
	defer w.figures.mu.Unlock()
	if w.figures.rows != nil && time.Since(w.figures.at) < time.Minute {
		return w.figures.rows, w.figures.at, nil
	}
	rows, err := w.svc.PublicStreetFigures(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	w.figures.rows, w.figures.at = rows, time.Now()
	return rows, w.figures.at, nil
}

// figuresView is the public figures as pages show them.
type figuresView struct {
	District                   string
	Streets                    []service.StreetFigure
	Received, Accepted, Closed int
	Rate                       float64
	AsOf                       time.Time
}

func (w *Web) figuresView(ctx context.Context) (figuresView, error) {
	rows, at, err := w.publicFigures(ctx)
	if err != nil {
		return figuresView{}, err
	}
	v := figuresView{District: w.svc.Ref().Root.Name, Streets: rows, AsOf: at}
	for _, f := range rows {
		v.Received += f.Received
		v.Accepted += f.Accepted
		v.Closed += f.Closed
	}
	if v.Accepted > 0 {
		v.Rate = float64(v.Closed) / float64(v.Accepted)
	}
	return v, nil
}

// home is the citizen's front page: the report button, tracking, and the
// public figures by street.
func (w *Web) home(rw http.ResponseWriter, r *http.Request, q *req) {
	v, err := w.figuresView(r.Context())
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.home.title", "home")
	p.Data = v
	w.render(rw, r, http.StatusOK, "home", p)
}
