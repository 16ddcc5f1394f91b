package service

import (
	"testing"
	"time"
)

// TestCheckObserved holds the bounds of a capture time: a phone's clock a
// few minutes ahead is accepted, an hour ahead is not; a week-old report
// is accepted to the minute and refused after it.
func TestCheckObserved(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Time{}, ""},
		{now, ""},
		{now.Add(ObservedSkew - time.Second), ""},
		{now.Add(ObservedSkew + time.Second), "field.observed_future"},
		{now.Add(time.Hour), "field.observed_future"},
		{now.Add(-MaxObservedAge + time.Minute), ""},
		{now.Add(-MaxObservedAge - time.Minute), "field.observed_too_old"},
	} {
		v := &ValidationError{}
		checkObserved(v, c.at, now)
		if got := v.Fields["observed_at"].Key; got != c.want {
			t.Errorf("observed %v (now %v): %q, want %q", c.at, now, got, c.want)
		}
	}
	// What the timeline keeps reads back as the same instant.
	at := now.Add(-90 * time.Minute).Add(123456789 * time.Nanosecond)
	if got := observedText(at); got != "2026-12-08T07:30:00.123Z" {
		t.Errorf("observedText %q", got)
	}
}
