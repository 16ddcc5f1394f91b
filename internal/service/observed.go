package service

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// An observed time (发现时间) may be this far in the past: a report queued
// on a phone for longer than a week is more likely a forgotten draft than
// news, and the worker should look again before it is filed.
const MaxObservedAge = 7 * 24 * time.Hour

// ObservedSkew is how far ahead of the server's clock an observed time may
// be: phones' clocks drift, but not by hours.
const ObservedSkew = 5 * time.Minute

// MaxClientKey bounds an action's idempotency key.
const MaxClientKey = 100

// checkObserved refuses an observed time in the future (beyond the skew)
// or older than MaxObservedAge.
func checkObserved(v *ValidationError, t, now time.Time) {
	switch {
	case t.IsZero():
	case t.After(now.Add(ObservedSkew)):
		v.add("observed_at", "field.observed_future")
	case t.Before(now.Add(-MaxObservedAge)):
		v.add("observed_at", "field.observed_too_old", int(MaxObservedAge/(24*time.Hour)))
	}
}

// observedText is how an observed time is kept in a timeline entry's
// data: RFC 3339 in UTC to the millisecond, which sorts and compares as
// text and reads back with time.Parse.
func observedText(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
}

// ObservedAt reads the observed time an entry's data keeps, zero when it
// has none.
func ObservedAt(ev model.Event) time.Time {
	s, _ := ev.Data["observed_at"].(string)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// ActOnce is Act for a client that may send the same action twice (the
// field app's outbox retries until it hears an answer). The key is kept in
// the action's timeline entry, written in the same transaction as the
// case's change, so it exists exactly when the action was applied. A
// retry of an applied action fails Act's version check (the case moved on
// by that very action); ActOnce then finds the key in the timeline and
// answers with the case as it is now and replay=true instead of a
// conflict. A conflict whose key is not in the timeline is a real one:
// someone else moved the case on.
func (s *Service) ActOnce(ctx context.Context, actor model.User, caseID int64, action, key string, in ActionInput) (model.Case, bool, error) {
	if key == "" || utf8.RuneCountInString(key) > MaxClientKey {
		return model.Case{}, false, Invalid("idempotency_key", "field.idempotency_key")
	}
	in.ClientKey = key
	c, err := s.Act(ctx, actor, caseID, action, in)
	if err == nil || !(errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidState)) {
		return c, false, err
	}
	cur, tl, terr := s.Case(ctx, actor, caseID)
	if terr != nil {
		return c, false, err
	}
	for _, ev := range tl {
		if k, _ := ev.Data["client_key"].(string); k == key && ev.ActorID == actor.ID && ev.Action == action {
			return cur, true, nil
		}
	}
	return cur, false, err
}
