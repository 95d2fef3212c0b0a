package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rvct/phoenix/tests/phxtest"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutines and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the complete lines written so far.
func (s *syncBuffer) lines() []string {
	text := s.String()
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	} else {
		return nil
	}
	return strings.Split(text, "\n")
}

// result is a finished command.
type result struct {
	stdout, stderr string
	code           int
	err            error
}

// runCmd runs the command to completion.
func runCmd(ctx context.Context, args ...string) result {
	var out, errb syncBuffer
	err := run(ctx, args, &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: exitCode(err), err: err}
}

// started is a command running in the background.
type started struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan result
}

// startCmd runs the command until stop.
func startCmd(ctx context.Context, args ...string) *started {
	ctx, cancel := context.WithCancel(ctx)
	s := &started{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan result, 1)}
	go func() {
		err := run(ctx, args, s.stdout, s.stderr)
		s.done <- result{stdout: s.stdout.String(), stderr: s.stderr.String(), code: exitCode(err), err: err}
	}()
	return s
}

// stop interrupts the command (as SIGINT does) and waits for it.
func (s *started) stop() result {
	s.cancel()
	return <-s.done
}

// pipeCtx returns a context whose --url targets dial srv in memory.
func pipeCtx(srv *phxtest.Server) context.Context {
	return withHooks(context.Background(), hooks{dial: srv.DialContext})
}

// embeddedPipe returns a context whose embedded servers are in-memory pipe
// servers (with extra options), reported on the returned channel.
func embeddedPipe(extra ...phxtest.Option) (context.Context, <-chan *phxtest.Server) {
	ch := make(chan *phxtest.Server, 1)
	return withHooks(context.Background(), hooks{
		listen: func(_ string, opts ...phxtest.Option) (*phxtest.Server, error) {
			return phxtest.NewPipeServer(append(extra, opts...)...), nil
		},
		started: func(s *phxtest.Server) { ch <- s },
	}), ch
}

// decodeLines decodes JSON lines into maps, failing on any other line.
func decodeLines(t *testing.T, lines []string) []map[string]any {
	t.Helper()
	out := make([]map[string]any, 0, len(lines))
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON object line: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
