package main

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each exit code of `phx call`, against the demo app in memory; time is
// fake, so the timeouts take no real time.

func TestCallOKPrintsTheReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "room:lobby", "--event", "echo", "--payload", `{"hi":"ünï"}`)
		assert.Equal(t, exitOK, r.code, r.stderr)
		assert.JSONEq(t, `{"hi":"ünï"}`, r.stdout)
		assert.Empty(t, r.stderr)
	})
}

func TestCallJoinPayloadAndDefaultPayload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := phxtest.NewRecorder()
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp(), phxtest.WithRecorder(rec))
		defer srv.Close()
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "chat:j", "--event", "echo",
			"--join-payload", `{"last_id":"1"}`)
		assert.Equal(t, exitOK, r.code, r.stderr)
		assert.JSONEq(t, `{}`, r.stdout, "no --payload sends {}")
		var join, push string
		for _, rc := range rec.Filter(func(r phxtest.Record) bool { return r.Dir == phxtest.FromClient }) {
			f, err := rc.Frame()
			if err != nil || f.Topic != "chat:j" {
				continue
			}
			switch f.Event {
			case "phx_join":
				join = string(f.Payload)
			case "echo":
				push = string(f.Payload)
			}
		}
		assert.JSONEq(t, `{"last_id":"1"}`, join, "--join-payload is the join's payload")
		assert.JSONEq(t, `{}`, push)
	})
}

func TestCallErrorReplyExits1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "chat:lobby", "--event", "new_msg", "--payload", `{"body":"  "}`)
		assert.Equal(t, exitReplyErr, r.code)
		assert.JSONEq(t, `{"reason":"empty_message"}`, r.stdout, "the error reply is printed")
		assert.Contains(t, r.stderr, "error reply")
	})
}

func TestCallTimeoutExits2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		start := time.Now()
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "room:lobby", "--event", "noreply", "--timeout", "3s")
		assert.Equal(t, exitTimeout, r.code, r.stderr)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "no reply within 3s")
		took := time.Since(start)
		assert.GreaterOrEqual(t, took, 3*time.Second, "the call waited for its timeout")
		assert.Less(t, took, 4*time.Second)
	})
}

func TestCallJoinRefusedExits3(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", phxtest.TopicForbidden, "--event", "echo")
		assert.Equal(t, exitJoinFail, r.code)
		assert.JSONEq(t, `{"reason":"unauthorized"}`, r.stdout, "the join error reply is printed")
		assert.Contains(t, r.stderr, "join chat:forbidden failed: unauthorized")

		r = runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "nochannel:x", "--event", "echo")
		assert.Equal(t, exitJoinFail, r.code)
		assert.Contains(t, r.stderr, "unmatched topic")
	})
}

func TestCallJoinTimeoutExits3(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", phxtest.TopicSlow, "--event", "echo", "--timeout", "2s")
		assert.Equal(t, exitJoinFail, r.code)
		assert.Contains(t, r.stderr, "join chat:slow timed out")
	})
}

func TestCallConnectionFailureExits4(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp(), phxtest.RequireToken("good"))
		defer srv.Close()
		args := []string{"call", "--url", srv.URL(), "--topic", "room:1", "--event", "echo"}

		r := runCmd(pipeCtx(srv), args...)
		assert.Equal(t, exitUsage, r.code, "no token: HTTP 403")
		assert.Contains(t, r.stderr, "HTTP 403")

		r = runCmd(pipeCtx(srv), append(args, "--param", "token=good")...)
		assert.Equal(t, exitOK, r.code, "token param: %s", r.stderr)
		r = runCmd(pipeCtx(srv), append(args, "--token", "good")...)
		assert.Equal(t, exitOK, r.code, "auth token subprotocol: %s", r.stderr)

		require.NoError(t, srv.RefuseConnects(phxtest.RefuseDial))
		r = runCmd(pipeCtx(srv), append(args, "--token", "good")...)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "cannot connect to "+srv.URL())
	})
}

func TestCallChannelLostExits4(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		// crash: the channel dies without a reply (phx_error).
		r := runCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "chat:c", "--event", "crash", "--timeout", "5s")
		assert.Equal(t, exitUsage, r.code, r.stderr)
		assert.Contains(t, r.stderr, "channel lost")
	})
}

func TestCallInterruptedExits130(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		c := startCmd(pipeCtx(srv), "call", "--url", srv.URL(), "--topic", "room:1", "--event", "noreply")
		time.Sleep(time.Second)
		r := c.stop()
		assert.Equal(t, exitInterrupted, r.code)
		assert.Contains(t, r.stderr, "interrupted")
	})
}

func TestCallRealTCP(t *testing.T) {
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	defer srv.Close()
	r := runCmd(context.Background(), "call", "--url", srv.URL(), "--topic", "room:lobby", "--event", "echo", "--payload", `[1,2]`, "--json")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "[1,2]\n", r.stdout)

	r = runCmd(context.Background(), "call", "--url", "ws://127.0.0.1:1/socket", "--topic", "room:lobby", "--event", "echo", "--log-level", "off")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "connection refused")
}
