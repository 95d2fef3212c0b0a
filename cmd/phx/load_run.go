package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

type loadCall = supervisor.Call[json.RawMessage, json.RawMessage, json.RawMessage, json.RawMessage]

// loadTarget is a joined session and its call.
type loadTarget struct {
	s    *supervisor.Session[json.RawMessage]
	call *loadCall
}

// run is the whole load run: setup, calls, teardown, report.
func (l *loader) run(ctx context.Context) error {
	o := &l.o
	var outFile *os.File
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return usageErr("cannot create --out file: %v", err)
		}
		outFile = f
		defer outFile.Close()
	}
	if l.cf.url == "" {
		srv, err := startEmbedded(ctx, "127.0.0.1:0",
			phxtest.WithMaxChannels(max(phxtest.DefaultMaxChannels, o.perSocket())), phxtest.WithLogger(l.log))
		if err != nil {
			return usageErr("cannot start the embedded server: %v", err)
		}
		l.srv = srv
		l.cf.url, l.cf.dial = srv.URL(), srv.DialContext
	}
	l.stats = newLoadStats(o.topics)
	l.sup = newSupervisor(l.log)
	var unsubs []func()
	tornDown := false
	teardown := func() {
		if tornDown {
			return
		}
		tornDown = true
		l.progress.stop()
		for _, u := range unsubs {
			u()
		}
		shutdown(l.sup)
		if l.srv != nil {
			stopServer(l.srv)
		}
	}
	defer teardown()
	l.progress = startProgress(l)

	ep, err := l.cf.endpoint(ctx, l.sup,
		supervisor.WithMaxChannelsPerSocket(o.perSocket()),
		supervisor.WithStatusHandler(l.stats.socketEvent),
		supervisor.WithWriteQueueSize(max(1024, 2*o.concurrency)),
		supervisor.WithDialTimeout(o.setupTimeout))
	if err != nil {
		return err
	}

	// Setup: one session per topic, each mounted by its subscriber.
	setupStart := time.Now()
	sessions := make([]*supervisor.Session[json.RawMessage], 0, o.topics)
	calls := make([]*loadCall, 0, o.topics)
	countEvent := func(string, json.RawMessage) { l.stats.events.Add(1) }
	for n := 1; n <= o.topics; n++ {
		s, err := supervisor.NewSession(ep, supervisor.Config[json.RawMessage]{
			Topic:       o.topic(n),
			JoinTimeout: o.setupTimeout,
			CallTimeout: o.callTimeout,
			PushBuffer:  max(supervisor.DefaultPushBuffer, o.concurrency),
			Unhandled:   countEvent,
		})
		if err != nil {
			return usageErr("topic %q: %v", o.topic(n), err)
		}
		c := supervisor.NewCall[json.RawMessage, json.RawMessage, json.RawMessage](s, "load", o.event,
			supervisor.WithCallTimeout(o.callTimeout))
		sessions = append(sessions, s)
		calls = append(calls, c)
		unsubs = append(unsubs, s.Subscribe(l.stats.sessionWatcher()))
	}
	interrupted := false
	setupTimer := time.NewTimer(o.setupTimeout)
	select {
	case <-l.stats.allJoined:
	case <-l.stats.fatal:
		return withCode(exitUsage, fmt.Errorf("cannot connect to %s: %s", l.cf.redacted(), describeConnErr(l.stats.connectError())))
	case <-setupTimer.C:
	case <-ctx.Done():
		interrupted = true
	}
	setupTimer.Stop()
	setupS := time.Since(setupStart).Seconds()

	var ready []loadTarget
	for i, s := range sessions {
		if s.State().Status == supervisor.Ready {
			ready = append(ready, loadTarget{s: s, call: calls[i]})
		}
	}
	if len(ready) == 0 && !interrupted {
		return withCode(exitUsage, fmt.Errorf("no session joined within --setup-timeout %v (join errors: %s)",
			o.setupTimeout, counts(l.stats.joinErrorsCopy())))
	}

	// Calls.
	events0 := l.stats.events.Load()
	var callDur time.Duration
	if !interrupted && len(ready) > 0 {
		l.progress.calling()
		callDur = l.drive(ctx, ready)
		interrupted = ctx.Err() != nil
	}
	events := l.stats.events.Load() - events0
	st := l.sup.Stats()

	teardown()
	rep := l.report(st, setupS, callDur, events, interrupted)
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	if l.cf.json {
		fmt.Fprintf(l.stdout, "%s\n", b)
	} else {
		rep.printHuman(l.stdout)
	}
	if outFile != nil {
		if _, err := outFile.Write(append(b, '\n')); err != nil {
			return usageErr("cannot write --out file: %v", err)
		}
		if err := outFile.Close(); err != nil {
			return usageErr("cannot write --out file: %v", err)
		}
	}
	return nil
}

// drive runs the calls until --duration, --max-calls or ctx, then waits for
// the calls in flight; it returns the length of the call phase.
func (l *loader) drive(ctx context.Context, calls []loadTarget) time.Duration {
	o := &l.o
	payload := json.RawMessage(`{"body":"` + strings.Repeat("x", o.payloadSize) + `"}`)
	start := time.Now()
	deadline := start.Add(o.duration)
	var interval time.Duration
	if o.rate > 0 {
		interval = time.Duration(float64(time.Second) / o.rate)
	}
	var next, tickets atomic.Int64
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			timer := time.NewTimer(time.Hour)
			timer.Stop()
			defer timer.Stop()
			for {
				if interval > 0 {
					at := start.Add(time.Duration(tickets.Add(1)-1) * interval)
					if !at.Before(deadline) {
						return
					}
					if wait := time.Until(at); wait > 0 {
						timer.Reset(wait)
						select {
						case <-timer.C:
						case <-ctx.Done():
							return
						}
					}
				}
				if ctx.Err() != nil || !time.Now().Before(deadline) {
					return
				}
				if l.stats.sent.Add(1) > o.maxCalls {
					l.stats.sent.Add(-1)
					return
				}
				c := calls[int((next.Add(1)-1)%int64(len(calls)))]
				t0 := time.Now()
				_, err := c.call.Call(ctx, payload)
				d := time.Since(t0)
				var serr *supervisor.Error
				if err != nil {
					serr = c.s.State().Error
				}
				l.stats.record(err, d, serr)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if ctx.Err() == nil && l.stats.sent.Load() < o.maxCalls {
		// Ended by --duration: the window is the whole duration, even when
		// paced calls were done a little before it ended.
		took = max(took, o.duration)
	}
	return took
}

// report assembles the final report.
func (l *loader) report(st supervisor.Stats, setupS float64, callDur time.Duration, events int64, interrupted bool) *loadReport {
	o := &l.o
	s := l.stats
	tot := st.Totals()
	opened := 0
	for _, e := range st.Endpoints {
		for _, k := range e.Sockets {
			if k.Gen > 0 {
				opened++
			}
		}
	}
	callErrs, joinErrs := s.errorCounts()
	r := &loadReport{
		URL:            l.cf.redacted(),
		EmbeddedServer: l.srv != nil,
		Interrupted:    interrupted,
		Config: loadReportConfig{
			Sockets: o.sockets, Topics: o.topics, TopicPattern: o.pattern, Event: o.event,
			PayloadSize: o.payloadSize, Rate: o.rate, Concurrency: o.concurrency,
			DurationS: o.duration.Seconds(), CallTimeoutS: o.callTimeout.Seconds(),
			SetupTimeoutS: o.setupTimeout.Seconds(), MaxCalls: o.maxCalls,
		},
		ElapsedS: time.Since(l.start).Seconds(),
		Sockets: reportSockets{Target: o.sockets, Opened: opened, Connects: tot.Connects,
			ConnectFailures: tot.ConnectFailures, Disconnects: tot.Disconnects},
		Sessions:   reportSessions{Target: o.topics, Joined: s.joined.Load(), JoinFailures: s.joinFailed.Load(), SetupS: setupS},
		ConnectUS:  s.connect.Summary(),
		JoinUS:     s.join.Summary(),
		CallUS:     s.call.Summary(),
		CallErrors: callErrs,
		JoinErrors: joinErrs,
		Reconnects: tot.Reconnects,
	}
	r.Calls = reportCalls{Sent: s.sent.Load(), OK: s.ok.Load(), Errors: s.errs.Load(), Timeouts: s.timeouts.Load(),
		DurationS: callDur.Seconds()}
	r.Events.Received = events
	if callDur > 0 {
		r.Calls.PerSecond = float64(r.Calls.OK+r.Calls.Errors) / callDur.Seconds()
		r.Events.PerSecond = float64(events) / callDur.Seconds()
	}
	user, sys := cpuTimes()
	user, sys = user-l.cpuUser0, sys-l.cpuSys0
	r.Client = reportClient{
		CPUUserS: user.Seconds(), CPUSystemS: sys.Seconds(), CPUS: (user + sys).Seconds(),
		PeakRSSBytes: peakRSS(), PeakHeapBytes: l.progress.peakHeap(), IncludesServer: l.srv != nil,
		GoroutinesAtEnd: runtime.NumGoroutine(),
	}
	return r
}

// joinErrorsCopy returns the join errors by reason.
func (s *loadStats) joinErrorsCopy() map[string]int64 {
	_, j := s.errorCounts()
	return j
}
