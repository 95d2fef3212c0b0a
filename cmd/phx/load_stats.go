package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
)

// loadStats counts what a load run did. Every method is safe for
// concurrent use.
type loadStats struct {
	sent, ok, errs, timeouts atomic.Int64
	events                   atomic.Int64
	joined, joinFailed       atomic.Int64

	call, interval, connect, join *latency

	mu         sync.Mutex
	callErrors map[string]int64 // by reason, "timeout" included
	joinErrors map[string]int64 // by reason
	connecting map[string]time.Time
	opened     bool
	firstErr   error // the first connection error before any socket opened

	allJoined chan struct{} // closed when every session joined
	fatal     chan struct{} // closed at firstErr
	target    int64
}

func newLoadStats(target int) *loadStats {
	return &loadStats{
		call: newLatency(), interval: newLatency(), connect: newLatency(), join: newLatency(),
		callErrors: map[string]int64{}, joinErrors: map[string]int64{},
		connecting: map[string]time.Time{},
		allJoined:  make(chan struct{}), fatal: make(chan struct{}),
		target: int64(target),
	}
}

// socketEvent is the endpoint's status handler: connect latency, and the
// first connection error while no socket has ever opened.
func (s *loadStats) socketEvent(ev supervisor.SocketEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Status {
	case supervisor.SocketConnecting:
		s.connecting[ev.Socket] = time.Now()
	case supervisor.SocketOpen:
		if t, ok := s.connecting[ev.Socket]; ok {
			s.connect.Record(time.Since(t))
			delete(s.connecting, ev.Socket)
		}
		s.opened = true
	case supervisor.SocketClosed:
		delete(s.connecting, ev.Socket)
		if ev.Err != nil && !s.opened && s.firstErr == nil {
			s.firstErr = ev.Err
			close(s.fatal)
		}
	}
}

// connectError returns the connection error that ended the setup, if any.
func (s *loadStats) connectError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstErr
}

// sessionWatcher returns the subscriber of one session: join latency from
// now to its first ready state, and its join failures by reason.
func (s *loadStats) sessionWatcher() func(supervisor.State[json.RawMessage]) {
	start := time.Now()
	ready := false
	var lastErr *supervisor.Error
	return func(st supervisor.State[json.RawMessage]) { // calls never overlap
		if st.Status == supervisor.Ready && !ready {
			ready = true
			s.join.Record(time.Since(start))
			if s.joined.Add(1) == s.target {
				close(s.allJoined)
			}
		}
		if st.Status == supervisor.Failed && st.Error != nil && st.Error != lastErr &&
			(st.Error.Kind == supervisor.KindConnectError || st.Error.Kind == supervisor.KindConnectTimeout) {
			s.joinFailed.Add(1)
			reason := reasonOf(st.Error)
			if st.Error.Kind == supervisor.KindConnectTimeout {
				reason = "join timeout"
			}
			s.mu.Lock()
			s.joinErrors[reason]++
			s.mu.Unlock()
		}
		lastErr = st.Error
	}
}

// record counts one finished call; serr is its session's error after it
// (it tells why a channel was lost).
func (s *loadStats) record(err error, d time.Duration, serr *supervisor.Error) {
	if err == nil {
		s.ok.Add(1)
		s.call.Record(d)
		s.interval.Record(d)
		return
	}
	reason, timeout := classify(err, serr)
	if timeout {
		s.timeouts.Add(1)
	} else {
		s.errs.Add(1)
		if reason != "canceled" {
			// Error replies are round trips too.
			var re *supervisor.ReplyError[json.RawMessage]
			if errors.As(err, &re) {
				s.call.Record(d)
				s.interval.Record(d)
			}
		}
	}
	s.mu.Lock()
	s.callErrors[reason]++
	s.mu.Unlock()
}

func (s *loadStats) errorCounts() (calls, joins map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls, joins = make(map[string]int64, len(s.callErrors)), make(map[string]int64, len(s.joinErrors))
	for k, v := range s.callErrors {
		calls[k] = v
	}
	for k, v := range s.joinErrors {
		joins[k] = v
	}
	return calls, joins
}

// classify names why a call failed; timeout reports ErrTimeout. serr, the
// session's error after the call, names why a channel was lost: the server
// answered "unmatched topic" (it no longer knows the channel), the channel
// crashed, or the connection dropped.
func classify(err error, serr *supervisor.Error) (reason string, timeout bool) {
	var re *supervisor.ReplyError[json.RawMessage]
	switch {
	case errors.Is(err, supervisor.ErrTimeout):
		return "timeout", true
	case errors.As(err, &re):
		var body struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(re.Raw, &body) == nil && body.Reason != "" {
			return body.Reason, false
		}
		return "error reply", false
	case errors.Is(err, supervisor.ErrChannelLost):
		if serr != nil && serr.Kind == supervisor.KindChannelError && serr.Cause == protocol.ReasonUnmatchedTopic {
			return protocol.ReasonUnmatchedTopic, false
		}
		return "channel lost", false
	case errors.Is(err, supervisor.ErrChannelClosed):
		return "channel closed", false
	case errors.Is(err, supervisor.ErrWriteQueueFull):
		return "write queue full", false
	case errors.Is(err, supervisor.ErrBufferFull):
		return "push buffer full", false
	case errors.Is(err, supervisor.ErrNotMounted):
		return "not mounted", false
	case errors.Is(err, supervisor.ErrNotConnected):
		return "not connected", false
	case errors.Is(err, supervisor.ErrClosed):
		return "closed", false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled", false
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg, false
}
