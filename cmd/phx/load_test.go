package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeReport(t *testing.T, s string) loadReport {
	t.Helper()
	var r loadReport
	dec := json.NewDecoder(stringsReader(s))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r), s)
	return r
}

// checkCounts asserts the report's arithmetic.
func checkCounts(t *testing.T, r loadReport) {
	t.Helper()
	assert.Equal(t, r.Calls.Sent, r.Calls.OK+r.Calls.Errors+r.Calls.Timeouts, "sent = ok + errors + timeouts")
	var sum int64
	for _, n := range r.CallErrors {
		sum += n
	}
	assert.Equal(t, r.Calls.Errors+r.Calls.Timeouts, sum, "call_errors add up to errors + timeouts")
	assert.Equal(t, r.Calls.Timeouts, r.CallErrors["timeout"])
}

// `phx load` without --url: the embedded server on loopback TCP, real
// time, a JSON report whose counts add up, also written to --out.
func TestLoadEmbeddedServerJSONReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	r := runCmd(context.Background(), "load", "--json", "--sockets", "3", "--topics", "30", "--concurrency", "8",
		"--duration", "1s", "--payload-size", "100", "--out", out, "--progress=false")
	require.Equal(t, exitOK, r.code, r.stderr)
	rep := decodeReport(t, r.stdout)
	checkCounts(t, rep)
	assert.True(t, rep.EmbeddedServer)
	assert.False(t, rep.Interrupted)
	assert.Equal(t, 30, rep.Sessions.Target)
	assert.EqualValues(t, 30, rep.Sessions.Joined)
	assert.Equal(t, 3, rep.Sockets.Opened, "ceil(30/3) = 10 channels a socket: 3 sockets")
	assert.EqualValues(t, 3, rep.ConnectUS.Count)
	assert.EqualValues(t, 30, rep.JoinUS.Count)
	assert.Positive(t, rep.Calls.OK)
	assert.Zero(t, rep.Calls.Errors+rep.Calls.Timeouts, "echo always answers ok: %v", rep.CallErrors)
	assert.Equal(t, rep.Calls.OK, rep.CallUS.Count, "every ok call's round trip is in the histogram")
	assert.InDelta(t, 1.0, rep.Calls.DurationS, 0.5)
	assert.InDelta(t, float64(rep.Calls.OK)/rep.Calls.DurationS, rep.Calls.PerSecond, 1)
	assert.LessOrEqual(t, rep.CallUS.P50, rep.CallUS.P99)
	assert.LessOrEqual(t, rep.CallUS.P99, rep.CallUS.Max)
	assert.Positive(t, rep.Client.CPUS)
	assert.Positive(t, rep.Client.PeakRSSBytes)
	assert.Positive(t, rep.Client.PeakHeapBytes)
	assert.True(t, rep.Client.IncludesServer)
	assert.Zero(t, rep.Reconnects)

	file, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.JSONEq(t, r.stdout, string(file), "--out holds the same report")
}

// mixChannel answers a third of the pushes ok, a third with an error reply
// and leaves a third unanswered (so they time out), by a global counter.
func mixChannel(n *atomic.Int64) phxtest.Option {
	return phxtest.WithChannel("mix:*", func() phxtest.Channel {
		return phxtest.ChannelFuncs{HandleInFunc: func(string, phxtest.Payload, *phxtest.ChannelSocket) phxtest.Result {
			switch n.Add(1) % 3 {
			case 0:
				return phxtest.Reply(phxtest.Payload{})
			case 1:
				return phxtest.ReplyError(phxtest.JSON(map[string]string{"reason": "nope"}))
			}
			return phxtest.NoReply()
		}}
	})
}

// Counts add up with errors and timeouts too, and --max-calls bounds the
// run: under synctest the calls take no time, so only the count ends it.
func TestLoadCountsAddUpWithErrorsAndTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		ctx, _ := embeddedPipe(mixChannel(&n))
		r := runCmd(ctx, "load", "--json", "--topic-pattern", "mix:{n}", "--topics", "12", "--sockets", "2",
			"--event", "go", "--max-calls", "300", "--concurrency", "10", "--call-timeout", "2s", "--duration", "1h", "--progress=false")
		require.Equal(t, exitOK, r.code, r.stderr)
		rep := decodeReport(t, r.stdout)
		checkCounts(t, rep)
		assert.EqualValues(t, 300, rep.Calls.Sent, "--max-calls")
		assert.EqualValues(t, 100, rep.Calls.OK)
		assert.EqualValues(t, 100, rep.Calls.Errors)
		assert.EqualValues(t, 100, rep.Calls.Timeouts)
		assert.Equal(t, map[string]int64{"nope": 100, "timeout": 100}, rep.CallErrors)
		assert.EqualValues(t, 200, rep.CallUS.Count, "ok and error replies are round trips; timeouts are not")
		assert.Equal(t, 2, rep.Sockets.Opened)
	})
}

// Events pushed during the calls are counted.
func TestLoadCountsEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		// Each new_msg on chat:N is broadcast to its one subscriber: one event a call.
		r := runCmd(ctx, "load", "--json", "--topic-pattern", "chat:{n}", "--topics", "5", "--event", "new_msg",
			"--max-calls", "50", "--progress=false")
		require.Equal(t, exitOK, r.code, r.stderr)
		rep := decodeReport(t, r.stdout)
		checkCounts(t, rep)
		assert.EqualValues(t, 50, rep.Calls.OK)
		assert.EqualValues(t, 50, rep.Events.Received)
	})
}

// No session can join: the run stops after --setup-timeout with exit 4
// and says why.
func TestLoadNoSessionJoined(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		r := runCmd(ctx, "load", "--topic-pattern", "nochannel:{n}", "--topics", "3", "--setup-timeout", "2s", "--progress=false")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "no session joined within --setup-timeout 2s")
		assert.Contains(t, r.stderr, "unmatched topic: 3")
	})
}

// A URL nothing listens on: exit 4 at the first failed connect.
func TestLoadCannotConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		require.NoError(t, srv.RefuseConnects(phxtest.RefuseDial))
		r := runCmd(pipeCtx(srv), "load", "--url", srv.URL(), "--log-level", "off", "--progress=false")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "cannot connect to "+srv.URL())
	})
}

// Interrupted mid-run: the report is still printed, marked interrupted,
// and still adds up (calls in flight end as "canceled").
func TestLoadInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		ctx, cancel := context.WithCancel(ctx)
		c := startCmd(ctx, "load", "--json", "--event", "noreply", "--call-timeout", "10s", "--progress=false")
		synctest.Wait()
		cancel()
		r := <-c.done
		c.cancel()
		require.Equal(t, exitOK, r.code, r.stderr)
		rep := decodeReport(t, r.stdout)
		checkCounts(t, rep)
		assert.True(t, rep.Interrupted)
		assert.EqualValues(t, 64, rep.Calls.Sent, "64 in flight, none answered")
		assert.Equal(t, map[string]int64{"canceled": 64}, rep.CallErrors)
	})
}

// --rate paces the calls: 20 calls/s for 2 s on the fake clock is 40 calls.
func TestLoadRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		r := runCmd(ctx, "load", "--json", "--rate", "20", "--duration", "2s", "--progress=false")
		require.Equal(t, exitOK, r.code, r.stderr)
		rep := decodeReport(t, r.stdout)
		checkCounts(t, rep)
		assert.EqualValues(t, 40, rep.Calls.Sent)
		assert.InDelta(t, 20, rep.Calls.PerSecond, 0.5)
	})
}

// The human report and the progress lines.
func TestLoadHumanReportAndProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		r := runCmd(ctx, "load", "--rate", "10", "--duration", "3s", "--topics", "4", "--sockets", "2")
		require.Equal(t, exitOK, r.code, r.stderr)
		for _, s := range []string{"sockets     2 open (target 2)", "sessions    4/4 joined", "calls       30 sent: 30 ok, 0 errors, 0 timeouts", "round trip", "client      cpu"} {
			assert.Contains(t, r.stdout, s)
		}
		assert.Contains(t, r.stderr, "joined 4/4")
		assert.Contains(t, r.stderr, "calls/s")
	})
}

func TestLoadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--sockets", "0"},
		{"--topics", "0"},
		{"--topics", "2", "--topic-pattern", "room:lobby"},
		{"--rate", "-1"},
		{"--concurrency", "0"},
		{"--duration", "0s"},
		{"--duration", "25h"},
		{"--max-calls", "0"},
		{"--payload-size", "-1"},
		{"--event", ""},
		{"--url", "ftp://x/socket"},
		{"--url", "ws://"},
		{"--param", "novalue"},
		{"--sockets", "many"},
		{"--out", "/nonexistent-dir/x.json"},
		{"extra"},
	} {
		r := runCmd(context.Background(), append([]string{"load"}, args...)...)
		assert.Equal(t, exitUsage, r.code, "%v", args)
		assert.NotEmpty(t, r.stderr, "%v gives a message", args)
		assert.Empty(t, r.stdout, "%v", args)
	}
}

func TestClassify(t *testing.T) {
	lostUnmatched := &supervisor.Error{Kind: supervisor.KindChannelError, Cause: "unmatched topic"}
	crashed := &supervisor.Error{Kind: supervisor.KindChannelError}
	for _, c := range []struct {
		err     error
		serr    *supervisor.Error
		reason  string
		timeout bool
	}{
		{supervisor.ErrTimeout, nil, "timeout", true},
		{&supervisor.ReplyError[json.RawMessage]{Raw: json.RawMessage(`{"reason":"unknown_event"}`)}, nil, "unknown_event", false},
		{&supervisor.ReplyError[json.RawMessage]{Raw: json.RawMessage(`null`)}, nil, "error reply", false},
		{fmt.Errorf("wrapped: %w", supervisor.ErrChannelLost), lostUnmatched, "unmatched topic", false},
		{supervisor.ErrChannelLost, crashed, "channel lost", false},
		{supervisor.ErrChannelLost, nil, "channel lost", false},
		{supervisor.ErrChannelClosed, nil, "channel closed", false},
		{supervisor.ErrWriteQueueFull, nil, "write queue full", false},
		{supervisor.ErrBufferFull, nil, "push buffer full", false},
		{context.Canceled, nil, "canceled", false},
		{errors.New(strings.Repeat("x", 200)), nil, strings.Repeat("x", 80), false},
	} {
		reason, timeout := classify(c.err, c.serr)
		assert.Equal(t, c.reason, reason, "%v", c.err)
		assert.Equal(t, c.timeout, timeout, "%v", c.err)
	}
}
