// Package apperr gives every error of the product an application code.
//
// Domain code returns *Error values made with E or Field; the GraphQL error
// presenter (pkg/gqlserver) is the one place that maps a code to
// extensions.code. Anything that is not an *Error is an internal error: it is
// logged with a request id and never shown to the caller.
package apperr

import (
	"errors"
	"fmt"
)

// Code is an application error code, shown to clients as extensions.code.
type Code string

// The codes of docs/architecture.md section 4.
const (
	BadUserInput    Code = "BAD_USER_INPUT"
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	NotFound        Code = "NOT_FOUND"
	Conflict        Code = "CONFLICT"
	TooManyRequests Code = "TOO_MANY_REQUESTS"
	TenantSuspended Code = "TENANT_SUSPENDED"
	// Timeout: the request ended (its deadline passed, or the client went
	// away) before the field was answered.
	Timeout  Code = "TIMEOUT"
	Internal Code = "INTERNAL"
)

// Error is an error a client may see: a code, a human message and, for
// BAD_USER_INPUT, the input field at fault.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field (e.g. "input.email"), if any.
	Field string
	// Scope names the API key scope a FORBIDDEN answer lacks
	// (extensions.scope: "CONTACTS_WRITE"), if that is why.
	Scope string
	// Err is an underlying cause kept for logs; it is never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E returns an error with a code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns a BAD_USER_INPUT error about one input field.
func Field(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns err's code: INTERNAL for errors without one, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}
