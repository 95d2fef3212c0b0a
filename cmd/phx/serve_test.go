package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveCmd starts `phx serve args...` and returns its first stdout line.
func serveCmd(t *testing.T, args ...string) (line string, stop func() result) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errb syncBuffer
	done := make(chan result, 1)
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), pw, &errb)
		_ = pw.Close()
		done <- result{stderr: errb.String(), code: exitCode(err), err: err}
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		r := <-done
		t.Fatalf("serve printed nothing: code %d, stderr %s", r.code, r.stderr)
	}
	line = sc.Text()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return line, func() result { cancel(); return <-done }
}

// `phx serve` prints its URL, serves the demo app there, and stops cleanly
// when interrupted.
func TestServeServesTheDemoApp(t *testing.T) {
	url, stop := serveCmd(t, "--addr", "127.0.0.1:0")
	require.Regexp(t, `^ws://127\.0\.0\.1:\d+/socket$`, url)

	r := runCmd(context.Background(), "call", "--url", url, "--topic", "chat:lobby", "--event", "new_msg", "--payload", `{"body":"hi"}`)
	assert.Equal(t, exitOK, r.code, r.stderr)
	r = runCmd(context.Background(), "call", "--url", url, "--topic", "chat:lobby", "--event", "echo", "--join-payload", `{}`)
	assert.Equal(t, exitOK, r.code, r.stderr)

	sr := stop()
	assert.Equal(t, exitOK, sr.code, sr.stderr)
	assert.Contains(t, sr.stderr, "demo app (chat:*, room:*)")

	r = runCmd(context.Background(), "call", "--url", url, "--topic", "room:1", "--event", "echo", "--log-level", "off")
	assert.Equal(t, exitUsage, r.code, "stopped: nothing listens any more")
}

func TestServeRequireTokenAndJSON(t *testing.T) {
	line, stop := serveCmd(t, "--addr", "127.0.0.1:0", "--require-token", "sekret", "--profile", "1.8", "--max-channels", "3", "--json")
	var info struct {
		URL          string `json:"url"`
		AdminURL     string `json:"admin_url"`
		Profile      string `json:"profile"`
		MaxChannels  int    `json:"max_channels"`
		RequireToken bool   `json:"require_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(line), &info), line)
	assert.Equal(t, "phoenix-1.8", info.Profile)
	assert.Equal(t, 3, info.MaxChannels)
	assert.True(t, info.RequireToken)

	args := []string{"call", "--url", info.URL, "--topic", "room:1", "--event", "echo", "--log-level", "off"}
	assert.Equal(t, exitUsage, runCmd(context.Background(), args...).code, "no token")
	assert.Equal(t, exitUsage, runCmd(context.Background(), append(args, "--token", "nope")...).code)
	assert.Equal(t, exitOK, runCmd(context.Background(), append(args, "--token", "sekret")...).code)
	assert.Equal(t, exitOK, runCmd(context.Background(), append(args, "--param", "token=sekret")...).code)
	assert.Equal(t, exitOK, stop().code)
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--profile", "2.0"},
		{"serve", "--max-channels", "0"},
		{"serve", "--addr", "256.0.0.1:99999"},
		{"serve", "--url", "wss://127.0.0.1:0/socket"},
		{"serve", "--url", "ws://127.0.0.1:0/elsewhere"},
		{"serve", "extra"},
	} {
		r := runCmd(context.Background(), args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.NotEmpty(t, r.stderr, "%v gives a message", args)
	}
}

func TestServeURLFlag(t *testing.T) {
	url, stop := serveCmd(t, "--url", "ws://127.0.0.1:0/socket")
	assert.Regexp(t, `^ws://127\.0\.0\.1:\d+/socket$`, url)
	assert.NotEqual(t, "ws://127.0.0.1:0/socket", url)
	assert.Equal(t, exitOK, stop().code)
}
