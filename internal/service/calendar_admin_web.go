package service

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
)

// CalendarYearInfo is one year of the live working calendar as the
// administrator's page shows it.
type CalendarYearInfo struct {
	Year     calendar.Year // the live data of the year
	BuiltIn  bool          // a year file shipped with the binary
	Loaded   bool          // loaded by an administrator (over the built-in one, if any)
	LoadedBy string        // the administrator's username; "" when not loaded or unknown
	LoadedAt time.Time     // zero when not loaded
}

// AdminCalendarYears lists the years the live calendar holds, in year
// order, with who loaded each and when.
func (s *Service) AdminCalendarYears(ctx context.Context, actor model.User) ([]CalendarYearInfo, error) {
	if actor.Role != model.RoleAdmin {
		return nil, ErrForbidden
	}
	builtIn := map[int]bool{}
	if ys, err := calendar.EmbeddedYears(); err == nil {
		for _, y := range ys {
			builtIn[y.Year] = true
		}
	}
	stored, err := s.store.CalendarYears(ctx)
	if err != nil {
		return nil, err
	}
	cal := s.Calendar()
	byYear := map[int]int{}
	var out []CalendarYearInfo
	for _, n := range cal.Years() {
		y, _ := cal.Year(n)
		byYear[n] = len(out)
		out = append(out, CalendarYearInfo{Year: y, BuiltIn: builtIn[n]})
	}
	names := map[int64]string{}
	for _, sy := range stored {
		i, ok := byYear[sy.Year]
		if !ok {
			continue
		}
		info := &out[i]
		info.Loaded, info.LoadedAt = true, sy.LoadedAt
		if sy.LoadedBy != 0 {
			name, seen := names[sy.LoadedBy]
			if !seen {
				if u, err := s.store.UserByID(ctx, sy.LoadedBy); err == nil {
					name = u.Username
				}
				names[sy.LoadedBy] = name
			}
			info.LoadedBy = name
		}
	}
	return out, nil
}
