package actors

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// discardLogger drops every record; it is the default of a System.
var discardLogger = slog.New(discardHandler{})

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (h discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h discardHandler) WithGroup(string) slog.Handler           { return h }

// minLevelHandler passes records at or above min to next. protoactor logs
// every system start, panic and dead letter at Info; only its warnings and
// errors reach the user's logger.
type minLevelHandler struct {
	min  slog.Level
	next slog.Handler
}

func (h minLevelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.next.Enabled(ctx, l)
}

func (h minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.min {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h minLevelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevelHandler{h.min, h.next.WithAttrs(as)}
}

func (h minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{h.min, h.next.WithGroup(name)}
}

// protoLoggerFactory routes protoactor's own logging to l, Warn and up.
func protoLoggerFactory(l *slog.Logger) actor.ConfigOption {
	return actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(minLevelHandler{min: slog.LevelWarn, next: l.Handler()}).With("lib", "protoactor")
	})
}

// rateLimit lets one event through per period and counts the ones it held
// back, so a flood of malformed frames gives one log line a second.
type rateLimit struct {
	period     time.Duration
	last       atomic.Int64 // unix nanos of the last event let through
	suppressed atomic.Int64
}

// allow reports whether to log now, and how many events were suppressed
// since the last one logged.
func (r *rateLimit) allow(now time.Time) (ok bool, suppressed int64) {
	n := now.UnixNano()
	last := r.last.Load()
	if last != 0 && n-last < int64(r.period) {
		r.suppressed.Add(1)
		return false, 0
	}
	if !r.last.CompareAndSwap(last, n) {
		r.suppressed.Add(1)
		return false, 0
	}
	return true, r.suppressed.Swap(0)
}
