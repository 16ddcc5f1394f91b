// Package calendar is the Chinese working calendar that case-handling
// deadlines are counted in.
//
// The holiday arrangement of each year is data, not code: the State Council
// publishes it every November, and an administrator loads it as a year file
// (see Year and ParseYear). 2025 and 2026 ship embedded (Default). A date
// whose year is not loaded is never guessed: every working-day question about
// it fails with a *NoDataError (errors.Is(err, ErrNoCalendarData)).
//
// Conventions, all in China time (fixed UTC+8):
//
//   - A working day is Monday–Friday outside holidays, plus the Saturdays and
//     Sundays listed as make-up workdays (调休上班日).
//   - N working days from T end at 23:59:59 of the N-th working day after T's
//     day; T's own day never counts. N natural days likewise end at 23:59:59
//     of the N-th calendar day after T's day.
//   - N working hours count only office periods of working days, starting at
//     the next office period if T is outside one; the result is the instant
//     the N-th hour completes.
//   - N urgent hours are T + N clock hours, day and night.
//
// A *Calendar is immutable and safe for concurrent use; WithYear returns a
// new one. Validation errors carry zh-CN and English messages (FieldError,
// ValidationErrors).
package calendar
