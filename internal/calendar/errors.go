package calendar

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps one of them, so
// callers can classify with errors.Is (for example, map ErrInvalidYear and
// ErrInvalidOfficeHours to HTTP 400 and ErrNoCalendarData to a prompt asking
// an administrator to load the year's calendar).
var (
	// ErrInvalidYear: a year file (or a Year value) failed validation.
	ErrInvalidYear = errors.New("calendar: invalid year data")
	// ErrInvalidOfficeHours: office hours failed to parse or validate.
	ErrInvalidOfficeHours = errors.New("calendar: invalid office hours")
	// ErrNoCalendarData: a computation needed a date of a year that has no
	// loaded calendar. The concrete error is *NoDataError, naming the year.
	ErrNoCalendarData = errors.New("calendar: no calendar data for year")
	// ErrInvalidAmount: a negative (or, for Deadline, non-positive) or
	// absurdly large amount of days or hours.
	ErrInvalidAmount = errors.New("calendar: invalid deadline amount")
	// ErrUnknownDeadlineKind: Deadline got a rule kind it does not know.
	ErrUnknownDeadlineKind = errors.New("calendar: unknown deadline kind")
	// ErrInvalidDate: a Date that does not exist (IsWorkingDate), or a time
	// outside years 1–9999.
	ErrInvalidDate = errors.New("calendar: invalid date")
	// ErrInvalidCalendar: New or WithYear got inconsistent input (duplicate
	// years, unset office hours).
	ErrInvalidCalendar = errors.New("calendar: invalid calendar")
)

// FieldError is one problem with an input, in both languages.
//
// Field is the path of the offending field ("year", "holidays[2].from",
// "workdays[0]", "office_hours[1]", "kind", ...); it is empty when the problem
// is with the input as a whole (for example a JSON syntax error).
type FieldError struct {
	Field     string
	Message   string // zh-CN
	MessageEn string // English
	// Err is the sentinel the error belongs to (ErrInvalidYear, ...), for
	// errors.Is.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("calendar: ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.MessageEn)
	b.WriteString(" (")
	b.WriteString(e.Message)
	b.WriteString(")")
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Localized returns the zh-CN and English messages, without the field path.
func (e *FieldError) Localized() (zh, en string) { return e.Message, e.MessageEn }

// ValidationErrors is every problem found in one input. ParseYear,
// Year.Validate and ParseOfficeHours return it (never empty). errors.As with a
// **FieldError target yields the first problem; range over it for all.
type ValidationErrors []*FieldError

// maxValidationErrors bounds how many problems are reported for one input.
const maxValidationErrors = 50

func (v ValidationErrors) Error() string {
	switch len(v) {
	case 0:
		return "calendar: no errors"
	case 1:
		return v[0].Error()
	}
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = strings.TrimPrefix(e.Error(), "calendar: ")
	}
	return fmt.Sprintf("calendar: %d problems: %s", len(v), strings.Join(parts, "; "))
}

// Unwrap exposes the individual *FieldError values to errors.Is / errors.As.
func (v ValidationErrors) Unwrap() []error {
	out := make([]error, len(v))
	for i, e := range v {
		out[i] = e
	}
	return out
}

// NoDataError reports that no calendar is loaded for Year. It matches
// ErrNoCalendarData with errors.Is. The calendar never guesses a year's
// holidays: an administrator must load the State Council's notice first.
type NoDataError struct {
	Year int
}

func (e *NoDataError) Error() string {
	zh, en := e.Localized()
	return "calendar: " + en + " (" + zh + ")"
}

// Is makes errors.Is(err, ErrNoCalendarData) true.
func (e *NoDataError) Is(target error) bool { return target == ErrNoCalendarData }

// Localized returns the zh-CN and English messages.
func (e *NoDataError) Localized() (zh, en string) {
	return fmt.Sprintf("未加载 %d 年的工作日历（节假日安排），请管理员导入该年数据", e.Year),
		fmt.Sprintf("no working calendar (holiday schedule) loaded for %d; an administrator must load that year", e.Year)
}

// fieldErr builds a *FieldError.
func fieldErr(sentinel error, field, zh, en string) *FieldError {
	return &FieldError{Field: field, Message: zh, MessageEn: en, Err: sentinel}
}

// errList accumulates FieldErrors up to maxValidationErrors.
type errList struct {
	sentinel error
	errs     ValidationErrors
}

func (l *errList) add(field, zh, en string) {
	if len(l.errs) < maxValidationErrors {
		l.errs = append(l.errs, fieldErr(l.sentinel, field, zh, en))
	}
}

func (l *errList) full() bool { return len(l.errs) >= maxValidationErrors }

// err returns nil or a non-empty ValidationErrors (never a typed nil).
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return l.errs
}
