package service

import (
	"context"
	"fmt"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// loadStoredCalendar applies the years an administrator loaded on top of the
// embedded ones, at start-up.
func (s *Service) loadStoredCalendar(ctx context.Context) error {
	years, err := s.store.CalendarYears(ctx)
	if err != nil {
		return err
	}
	cal := s.Calendar()
	for _, sy := range years {
		y, err := calendar.ParseYear(sy.Data)
		if err != nil {
			return fmt.Errorf("stored calendar year %d: %w", sy.Year, err)
		}
		if cal, err = cal.WithYear(y); err != nil {
			return fmt.Errorf("stored calendar year %d: %w", sy.Year, err)
		}
	}
	s.eng.cal.Store(cal)
	return nil
}

// LoadCalendarYear validates a year file, stores it and makes it live. The
// new calendar replaces the old one in one atomic swap; a year already
// loaded is replaced (the State Council sometimes amends a notice).
func (s *Service) LoadCalendarYear(ctx context.Context, actor model.User, data []byte) (calendar.Year, error) {
	if actor.Role != model.RoleAdmin {
		return calendar.Year{}, ErrForbidden
	}
	y, err := calendar.ParseYear(data)
	if err != nil {
		return y, err
	}
	s.eng.adminMu.Lock()
	defer s.eng.adminMu.Unlock()
	next, err := s.Calendar().WithYear(y)
	if err != nil {
		return y, err
	}
	if err := s.store.PutCalendarYear(ctx, store.StoredYear{Year: y.Year, Data: data, LoadedBy: actor.ID, LoadedAt: s.now()}); err != nil {
		return y, err
	}
	s.eng.cal.Store(next)
	s.log.Info("calendar year loaded", "year", y.Year, "by", actor.Username)
	return y, nil
}

// Deadline previews a deadline rule on the live calendar.
func (s *Service) Deadline(rule model.DeadlineRule, from time.Time) (time.Time, error) {
	return s.Calendar().Deadline(rule, from)
}
