package platform

import "context"

// CheckRequest asks a validator about the code of one sandbox.
type CheckRequest struct {
	Language string
	// Files holds every source file of the sandbox the function could import,
	// keyed by path relative to the sandbox.
	Files Files
	// Module is the module to load; empty asks the validator to find the one
	// module that defines Function at top level.
	Module   string
	Function string
}

// CheckResult is what a validator found.
type CheckResult struct {
	// Module is the module that defines the function (asked or found).
	Module string
	// Candidates lists every module defining the function at top level when
	// the request named no module.
	Candidates []string
	// Signature is the function's, nil when the module does not define it.
	Signature *Signature
	// Files are the sandbox files the module can reach by import; only they
	// are copied into the revision.
	Files []string
	// Violations is empty when the code may run.
	Violations []Violation
}

// Validator checks submitted code before anything of it runs.
type Validator interface {
	// Check returns ErrUnavailable (wrapped) when the validator cannot be
	// reached; a rejected module is a result with violations, not an error.
	Check(ctx context.Context, req CheckRequest) (CheckResult, error)
	// Ping reports whether the validator answers.
	Ping(ctx context.Context) error
}
