// Package benchfmt is the line format between the benchmark orchestrator
// (go run ./tests/bench) and its client processes: every client, Go or
// JavaScript, writes JSON objects one per line on stdout. A line with a
// "phase" field is a progress signal (for W5, "ready" asks the orchestrator
// to kill and restart the server); the line with a "workload" field is the
// client's result, and it is the last line the client writes.
//
// The orchestrator answers a "ready" phase by writing one line on the
// client's stdin: "killed <unix nanoseconds>" once the server process is
// dead (see KilledLine).
package benchfmt
