package platform

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. The API maps each to one status code; everything else
// wraps one of these so that errors.Is finds it.
var (
	ErrInvalid          = errors.New("invalid request") // 400
	ErrUnauthorized     = errors.New("unauthorized")    // 401
	ErrNotFound         = errors.New("not found")       // 404
	ErrFunctionNotFound = fmt.Errorf("function %w", ErrNotFound)
	ErrSandboxNotFound  = fmt.Errorf("sandbox %w", ErrNotFound)
	ErrModuleNotFound   = fmt.Errorf("module %w", ErrNotFound)
	ErrRouteNotFound    = fmt.Errorf("route %w", ErrNotFound)
	ErrConflict         = errors.New("conflict")               // 409
	ErrTooLarge         = errors.New("request too large")      // 413
	ErrOverloaded       = errors.New("overloaded")             // 429
	ErrRejected         = errors.New("rejected by the policy") // 422
	ErrUnavailable      = errors.New("unavailable")            // 503
	ErrNotConfigured    = fmt.Errorf("%w: not configured", ErrUnavailable)
	ErrTimeout          = errors.New("timed out")     // 504
	ErrInstanceDied     = errors.New("instance died") // 502
	ErrBadResponse      = errors.New("bad response")  // 502
	ErrInstanceNotFound = errors.New("instance not found")
)

// InvalidError says which field of a request is wrong and why.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Invalid builds an InvalidError.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ConflictError names who already holds what the caller asked for.
type ConflictError struct {
	Path  string
	Owner FunctionKey
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s is already served by %s from sandbox %s", e.Path, e.Owner.Name, e.Owner.Hash)
}
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Violation is one thing a validator found wrong with submitted code.
type Violation struct {
	File    string `json:"file,omitempty"`
	Rule    string `json:"rule"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// RejectedError carries every violation a validator found.
type RejectedError struct {
	Violations []Violation
}

func (e *RejectedError) Error() string {
	parts := make([]string, 0, len(e.Violations))
	for _, v := range e.Violations {
		parts = append(parts, fmt.Sprintf("%s:%d:%d %s", v.File, v.Line, v.Col, v.Rule))
	}
	return "rejected: " + strings.Join(parts, ", ")
}
func (e *RejectedError) Unwrap() error { return ErrRejected }

// DiedError says why an instance stopped serving.
type DiedError struct {
	Reason string
}

func (e *DiedError) Error() string { return "instance died: " + e.Reason }
func (e *DiedError) Unwrap() error { return ErrInstanceDied }
