package actors

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests (SPEC V3, K9).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
