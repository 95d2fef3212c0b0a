package main

import (
	"errors"
	"fmt"
)

// Exit codes. Every command uses 0 and 4; call adds 1, 2 and 3; call and
// load add 130 when interrupted before they could finish.
const (
	exitOK          = 0
	exitReplyErr    = 1   // call: the server answered "error"; any other command: an unexpected failure
	exitTimeout     = 2   // call: no reply before --timeout
	exitJoinFail    = 3   // call: the join was refused or timed out
	exitUsage       = 4   // bad usage, bad flags or URL, or no connection
	exitInterrupted = 130 // call: interrupted (SIGINT/SIGTERM) before the reply
)

// exitError carries a process exit code with the error that caused it.
// A reported error has already been printed to stderr.
type exitError struct {
	code     int
	err      error
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that the process exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// reported wraps err with code, marking it as already printed.
func reported(code int, err error) error {
	return &exitError{code: code, err: err, reported: true}
}

// usageErr is a bad-usage error (exit 4).
func usageErr(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// exitCode maps run's error to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitReplyErr
}

// isReported reports whether err has already been printed.
func isReported(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.reported
}
