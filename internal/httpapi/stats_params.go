package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// statsParams reads the query every statistics endpoint shares:
// from, to (RFC 3339; a bare date means 00:00 Beijing time; default the
// year so far), area, unit, type, category, channel and engine. Malformed
// values are answered 400 here; the service checks the rest (422).
func (a *API) statsParams(w http.ResponseWriter, r *http.Request) (service.StatsParams, bool) {
	q := r.URL.Query()
	var p service.StatsParams
	bad := map[string]service.FieldError{}
	now := time.Now().In(calendar.Beijing())
	p.To = now
	p.From = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, calendar.Beijing())
	for name, dst := range map[string]*time.Time{"from": &p.From, "to": &p.To} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := parseStatsTime(v)
		if err != nil {
			bad[name] = service.FieldError{Key: "field.stats_time"}
		}
		*dst = t
	}
	for name, dst := range map[string]*int64{"area": &p.Area, "unit": &p.Unit, "category": &p.Category} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				bad[name] = service.FieldError{Key: "field.wrong_type"}
			}
			*dst = n
		}
	}
	p.Type, p.Channel = q.Get("type"), q.Get("channel")
	switch e := store.StatsEngine(q.Get("engine")); e {
	case store.EngineAuto, store.EngineFacts, store.EngineAggregates:
		p.Engine = e
	default:
		bad["engine"] = service.FieldError{Key: "field.unknown_value"}
	}
	if len(bad) > 0 {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", bad)
		return p, false
	}
	return p, true
}

// parseStatsTime reads RFC 3339, or a date (2025-01-01) as Beijing midnight.
func parseStatsTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", v, calendar.Beijing())
}

// statsAxis reads the axis a case list is drawn from.
func statsAxis(v string) (stats.Axis, bool) {
	switch strings.ToLower(v) {
	case "", "received":
		return stats.AxisReceived, true
	case "registered":
		return stats.AxisRegistered, true
	case "dispatched":
		return stats.AxisDispatched, true
	case "handled":
		return stats.AxisHandled, true
	case "due", "settle", "due_to_close":
		return stats.AxisSettle, true
	case "closed":
		return stats.AxisClosed, true
	}
	return 0, false
}

// attachmentName sets a download's file name (RFC 6266, UTF-8).
func attachmentName(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Disposition", `attachment; filename="export`+name[strings.LastIndexByte(name, '.'):]+`"; filename*=UTF-8''`+pathEscape(name))
}

func pathEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}
