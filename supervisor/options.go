package supervisor

import "log/slog"

// Option configures a Supervisor.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger sends the library's logs, and the actor system's warnings and
// errors, to l. The default is silent. Tokens and params are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}
