package chaos

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

// soakFor is how long TestSoak runs (-soak=2m); 0, the default, skips it.
var soakFor = flag.Duration("soak", 0, "run TestSoak for this long (0 skips it)")

// TestMain fails the run if any goroutine outlives the tests (SPEC V3, K9).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
