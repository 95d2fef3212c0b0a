package main

import (
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoRow summarizes one `phx demo --json` line.
type demoRow struct {
	step, topic, status string
	messages            int
	processing, timeout bool
	errKind, sendError  string
}

func (r demoRow) String() string { return fmt.Sprintf("%+v", struct{ demoRow }{r}) }

// `phx demo` walks the seed's sequence diagram against the embedded server
// and prints every emitted state, in order, exactly as the diagram's notes
// show them.
// spec: S1, S2, S3, J1, J2, J3, E1, A1, A2, A3, A4, M3
func TestDemoPrintsTheSeedSequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		r := runCmd(ctx, "demo", "--json", "--call-timeout", "1s")
		require.Equal(t, exitOK, r.code, r.stderr)
		var rows []demoRow
		for _, m := range decodeLines(t, splitLines(r.stdout)) {
			st := m["state"].(map[string]any)
			row := demoRow{step: m["step"].(string), topic: m["topic"].(string), status: st["status"].(string)}
			if v, ok := st["value"].(map[string]any); ok {
				row.messages = len(v["messages"].([]any))
			}
			row.processing = st["processing"].(map[string]any)["send"].(bool)
			row.timeout = st["timeouts"].(map[string]any)["send"].(bool)
			if e, ok := st["error"].(map[string]any); ok {
				row.errKind = e["kind"].(string)
			}
			if e, ok := st["errors"].(map[string]any)["send"].(map[string]any); ok {
				row.sendError = e["reason"].(string)
			}
			rows = append(rows, row)
		}
		lobby := func(step, status string, msgs int, processing bool, sendErr string, timeout bool) demoRow {
			return demoRow{step: step, topic: "chat:lobby", status: status, messages: msgs, processing: processing, sendError: sendErr, timeout: timeout}
		}
		want := []demoRow{
			lobby("create", "loading", 0, false, "", false),
			lobby("join_ok", "ready", 1, false, "", false),
			{step: "join_error", topic: "chat:forbidden", status: "loading"},
			{step: "join_error", topic: "chat:forbidden", status: "failed", errKind: "connect_error"},
			{step: "join_timeout", topic: "chat:timeout", status: "loading"},
			{step: "join_timeout", topic: "chat:timeout", status: "failed", errKind: "connect_timeout"},
			lobby("event", "ready", 2, false, "", false),
			lobby("call_ok", "ready", 2, true, "", false),
			lobby("call_ok", "ready", 3, true, "", false), // the new_msg broadcast comes before the reply
			lobby("call_ok", "ready", 3, false, "", false),
			lobby("call_error", "ready", 3, true, "", false),
			lobby("call_error", "ready", 3, false, "empty_message", false),
			lobby("call_timeout", "ready", 3, true, "", false),
			lobby("call_timeout", "ready", 4, true, "", false),
			lobby("call_timeout", "ready", 4, false, "", true),
			lobby("unsubscribe", "ready", 4, false, "", true),
		}
		assert.Equal(t, want, rows)
	})
}

func TestDemoHumanOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, _ := embeddedPipe()
		r := runCmd(ctx, "demo", "--call-timeout", "1s")
		require.Equal(t, exitOK, r.code, r.stderr)
		for _, step := range []string{"[create]", "[join_ok]", "[join_error]", "[join_timeout]", "[event]", "[call_ok]", "[call_error]", "[call_timeout]", "[unsubscribe]"} {
			assert.Contains(t, r.stdout, step)
		}
		assert.Contains(t, r.stdout, `"errors":{"send":{"reason":"empty_message"}}`)
	})
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// With --url the demo runs against that server and skips the steps that
// need control of it.
func TestDemoAgainstURLSkipsServerSteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		r := runCmd(pipeCtx(srv), "demo", "--url", srv.URL(), "--json", "--topic", "chat:other")
		require.Equal(t, exitOK, r.code, r.stderr)
		var skipped []string
		for _, m := range decodeLines(t, splitLines(r.stdout)) {
			if _, ok := m["skipped"]; ok {
				skipped = append(skipped, m["step"].(string))
			} else {
				assert.Contains(t, []string{"chat:other", "chat:forbidden"}, m["topic"])
			}
		}
		assert.Equal(t, []string{"join_timeout", "event", "call_timeout"}, skipped)
	})
}
