package service

import (
	"errors"
	"sort"
)

// Errors the API maps to HTTP statuses. Handlers translate them with the
// i18n catalogue; the service never formats user-facing text itself.
var (
	ErrUnauthorized  = errors.New("unauthorized")
	ErrLoginFailed   = errors.New("login failed")
	ErrForbidden     = errors.New("forbidden")
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("conflict")
	ErrInvalidState  = errors.New("invalid action in this state")
	ErrUnknownAction = errors.New("unknown action")
)

// FieldError is one field's problem: a catalogue key and its arguments.
type FieldError struct {
	Key  string
	Args []any
}

// ValidationError lists what is wrong with each field of an input. Nothing
// has been written when it is returned.
type ValidationError struct {
	Fields map[string]FieldError
}

func (e *ValidationError) Error() string {
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	s := "invalid input:"
	for _, f := range names {
		s += " " + f + "=" + e.Fields[f].Key
	}
	return s
}

// add records a problem for field unless it already has one.
func (e *ValidationError) add(field, key string, args ...any) {
	if e.Fields == nil {
		e.Fields = map[string]FieldError{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = FieldError{Key: key, Args: args}
	}
}

// err returns e when it holds problems, nil otherwise.
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid makes a one-field validation error (used by handlers for input
// that fails before reaching the service, such as a bad JSON type).
func Invalid(field, key string, args ...any) error {
	v := &ValidationError{}
	v.add(field, key, args...)
	return v
}
