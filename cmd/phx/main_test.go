package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: every command
// stops what it started before run returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
