//go:build race

package chaos

// raceEnabled: the tests run with -race; subprocesses are built with it too.
const raceEnabled = true
