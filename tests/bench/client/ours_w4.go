package main

import (
	"context"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW4 opens cfg.n sockets with one topic each: one endpoint capped at
// one channel a socket, n sessions with a subscriber.
func oursW4(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	return oursJoinAll(ctx, cfg, r, 1, func(i int) string { return "room:w4:" + itoa(i) })
}
