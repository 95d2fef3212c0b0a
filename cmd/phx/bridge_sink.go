package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// sink is where the bridge writes its lines.
type sink interface {
	// deliver writes items in order and returns how many it wrote before
	// failing (all of them when err is nil).
	deliver(ctx context.Context, items []bridgeItem) (n int, err error)
	close() error
	String() string
}

// openSink opens --to: "-" (stdout), an http(s):// URL, or a file path
// (appended to).
func openSink(to string, stdout io.Writer, httpTimeout time.Duration) (sink, error) {
	switch {
	case to == "":
		return nil, usageErr("--to is required: -, a file path, or an http(s):// URL")
	case to == "-":
		return &writerSink{w: stdout, name: "stdout"}, nil
	case strings.HasPrefix(to, "http://") || strings.HasPrefix(to, "https://"):
		u, err := url.Parse(to)
		if err != nil || u.Host == "" {
			return nil, usageErr("bad --to URL %q", to)
		}
		return &httpSink{url: to, client: &http.Client{Timeout: httpTimeout, Transport: &http.Transport{}}}, nil
	case strings.Contains(to, "://"):
		return nil, usageErr("bad --to %q: want -, a file path, or an http(s):// URL", to)
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, usageErr("cannot open --to file: %v", err)
	}
	return &writerSink{w: f, f: f, name: to}, nil
}

// writerSink appends lines to stdout or a file, one write per line (a
// failed write is retried from that line).
type writerSink struct {
	w    io.Writer
	f    *os.File
	name string
	buf  []byte
}

func (s *writerSink) deliver(_ context.Context, items []bridgeItem) (int, error) {
	for i, it := range items {
		s.buf = append(append(s.buf[:0], it.line...), '\n')
		if _, err := s.w.Write(s.buf); err != nil {
			return i, err
		}
	}
	return len(items), nil
}

func (s *writerSink) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *writerSink) String() string { return s.name }

// httpSink POSTs each line (Content-Type: application/json) and counts any
// 2xx answer as delivered.
type httpSink struct {
	url    string
	client *http.Client
}

func (s *httpSink) deliver(ctx context.Context, items []bridgeItem) (int, error) {
	for i, it := range items {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(it.line))
		if err != nil {
			return i, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.client.Do(req)
		if err != nil {
			return i, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return i, fmt.Errorf("POST %s: HTTP %d", redactHTTP(s.url), resp.StatusCode)
		}
	}
	return len(items), nil
}

func (s *httpSink) close() error {
	s.client.CloseIdleConnections()
	return nil
}

func (s *httpSink) String() string { return redactHTTP(s.url) }

// redactHTTP drops the query and user info of a sink URL.
func redactHTTP(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(bad URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// deliverer moves items from the queue to the sink, in order, retrying a
// failed delivery with exponential backoff (retryMin doubling to retryMax)
// for as long as it runs: nothing is dropped.
type deliverer struct {
	q        *itemQueue
	sink     sink
	log      *slog.Logger
	retryMin time.Duration
	retryMax time.Duration
	onDone   func(bridgeItem) // counts a delivered item

	delivered int64
	retries   int64
	lastErr   error
}

// batch is how many items one delivery takes.
const deliverBatch = 256

// run delivers until drain is closed and the queue is empty, or ctx ends
// (then undelivered items stay in the queue).
func (d *deliverer) run(ctx context.Context, drain <-chan struct{}) {
	backoff := d.retryMin
	draining := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		items := d.q.Peek(deliverBatch)
		if len(items) == 0 {
			if draining {
				return
			}
			select {
			case <-d.q.Wake():
			case <-drain:
				draining, drain = true, nil
			case <-ctx.Done():
				return
			}
			continue
		}
		n, err := d.sink.deliver(ctx, items)
		for _, it := range items[:n] {
			d.onDone(it)
		}
		d.delivered += int64(n)
		d.q.Drop(n)
		if err == nil {
			backoff = d.retryMin
			continue
		}
		if ctx.Err() != nil {
			return
		}
		d.retries++
		d.lastErr = err
		d.log.Warn("phx bridge: sink failed; retrying", "sink", d.sink.String(), "err", err, "retry_in", backoff, "waiting", d.q.Len())
		timer.Reset(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, d.retryMax)
	}
}
