package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats"
)

// dashboardData is what the leader's dashboard shows: the same numbers as
// GET /api/v1/stats/dashboard, for this year so far or this month.
type dashboardData struct {
	Period, From, To string
	Month            bool
	D                service.StatsDashboard
	Tiles            []tile
}

type tile struct {
	Key   string
	Value string
	Note  string
}

// dashboard serves /work/dashboard for the roles statistics are open to
// (the service decides; a refused role gets the forbidden page).
func (w *Web) dashboard(rw http.ResponseWriter, r *http.Request, q *req) {
	now := w.now().In(calendar.Beijing())
	from := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, calendar.Beijing())
	month := r.URL.Query().Get("period") == "month"
	if month {
		from = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, calendar.Beijing())
	}
	d, err := w.svc.StatsDashboard(r.Context(), q.user, service.StatsParams{From: from, To: now})
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	m := d.Summary.Measures
	rate := func(x stats.Rate) (string, string) {
		if x.Value == nil {
			return "—", fmt.Sprintf("%d / %d", x.Numerator, x.Denominator)
		}
		return fmt.Sprintf("%.2f%%", *x.Value), fmt.Sprintf("%d / %d", x.Numerator, x.Denominator)
	}
	cr, crn := rate(m.ClosureRate)
	ot, otn := rate(m.OnTimeRate)
	sat, satn := rate(m.SatisfactionRate)
	data := dashboardData{Month: month, From: from.Format("2006-01-02"), To: now.Format("2006-01-02"), D: d, Tiles: []tile{
		{Key: "web.dashboard.received", Value: fmt.Sprint(m.Received)},
		{Key: "web.dashboard.due_to_close", Value: fmt.Sprint(m.DueToClose)},
		{Key: "web.dashboard.closure_rate", Value: cr, Note: crn},
		{Key: "web.dashboard.on_time_rate", Value: ot, Note: otn},
		{Key: "web.dashboard.satisfaction_rate", Value: sat, Note: satn},
		{Key: "web.dashboard.problems_rectified", Value: fmt.Sprint(m.Rectification.ProblemsRectified)},
		{Key: "web.dashboard.funds_recovered", Value: m.Rectification.FundsRecovered},
		{Key: "web.dashboard.funds_returned", Value: m.Rectification.FundsReturned},
	}}
	p := w.newPage(q, "web.dashboard.title", "dashboard")
	p.Data = data
	_, err = fs.Stat(w.static, echartsJS)
	p.Charts = err == nil // the tables stay: the charts draw from them
	w.render(rw, r, http.StatusOK, "dashboard", p)
}
