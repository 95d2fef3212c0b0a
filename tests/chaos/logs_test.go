package chaos

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"
)

// logBuffer captures everything the library logs, at every level, as text.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logger returns a logger writing into b at Debug level and up.
func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count returns how many lines contain s.
func (b *logBuffer) count(s string) int {
	n := 0
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// lines returns the number of lines logged.
func (b *logBuffer) lines() int { return strings.Count(b.String(), "\n") }

// discardLog is a standard logger that drops everything (for http.Server).
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
